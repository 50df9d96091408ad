//! What every command opens before it works: the projects' policies (or the built-in
//! example), the private data directory, and the store.

use std::path::Path;

use anyhow::{Context as _, bail};
use postern_core::policy::{self, Policy};
use postern_core::project::{Project, Projects};
use postern_store::{Store, StoreConfig};

use crate::policy_cmd::load_valid;

/// The policy served when none is given: a complete, commented example.
pub const EXAMPLE_POLICY: &str = include_str!("../../../examples/policies/example.toml");

pub fn load_projects(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<Project>> {
    let policies: Vec<Policy> = if paths.is_empty() {
        let checked = policy::parse_str(EXAMPLE_POLICY, jiff::Timestamp::now());
        vec![
            checked
                .policy
                .context("the built-in example policy does not check; this is a bug")?,
        ]
    } else {
        paths
            .iter()
            .map(|p| load_valid(p))
            .collect::<anyhow::Result<_>>()?
    };
    for (i, policy) in policies.iter().enumerate() {
        let slug = &policy.project.slug;
        if let Some(j) = policies[..i].iter().position(|p| &p.project.slug == slug) {
            bail!(
                "policies {} and {} both use the project slug \"{slug}\"; give one of them another `slug` in [project]",
                paths[j].display(),
                paths[i].display()
            );
        }
    }
    Ok(policies
        .into_iter()
        .map(|policy| Project { policy })
        .collect())
}

/// Creates the data directory readable by its owner only: it will hold keys and reports.
pub fn create_data_dir(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    if !path.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .with_context(|| format!("cannot create the data directory {}", path.display()))?;
    }
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the data directory {}", path.display()))?;
    if !meta.is_dir() {
        bail!(
            "{} is not a directory; choose another --data",
            path.display()
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            "the data directory is readable by other users; run chmod 700 on it"
        );
    }
    Ok(())
}

pub async fn open_store(storage: &crate::cli::StorageArgs) -> anyhow::Result<Store> {
    let config = StoreConfig {
        database_url: storage.database.clone(),
        postgres_schema: None,
    };
    Store::open(&config, &storage.data)
        .await
        .context("cannot open the database")
}

/// Where notices link to when a terminal command tells a reporter something (the published
/// advisory's page): `POSTERN_PUBLIC_URL`, as `serve` reads it, else serve's default address.
fn public_url() -> String {
    std::env::var("POSTERN_PUBLIC_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned())
}

/// The use cases over the given policies and storage, on the system clock: what every
/// terminal command that acts goes through, as the pages do.
pub async fn open_app(context: &crate::cli::ReportContext) -> anyhow::Result<postern_app::App> {
    open_app_with(&context.storage, &context.policies).await
}

/// The use cases over the given storage and policies (the built-in example without any: the
/// administrators' commands need no policy).
pub async fn open_app_with(
    storage: &crate::cli::StorageArgs,
    policies: &[std::path::PathBuf],
) -> anyhow::Result<postern_app::App> {
    let projects = Projects::new(load_projects(policies)?).map_err(anyhow::Error::msg)?;
    create_data_dir(&storage.data)?;
    let store = open_store(storage).await?;
    Ok(postern_app::App::new(
        projects,
        store,
        postern_app::Clock::system(),
        &public_url(),
    ))
}

/// What a terminal command makes of a use case's refusal: the reason on stderr and exit code
/// 1 for what the operator can correct; an error (exit code 2) for what they cannot.
pub fn refusal(error: postern_app::Error, what: &str) -> anyhow::Result<std::process::ExitCode> {
    use postern_app::Error as E;
    match error {
        E::NotFound => bail!("there is no {what}"),
        E::Store(e) => Err(e.into()),
        E::NotServed(m) => bail!("{m}: pass it with --policy FILE"),
        other => {
            eprintln!("postern: {other}");
            Ok(std::process::ExitCode::from(1))
        }
    }
}

/// A file's bytes (`-`: standard input's), at most one byte over `limit` (so the use case says
/// it is too large without the whole input in memory); `what` names it in errors.
pub fn read_input(path: &std::path::Path, limit: usize, what: &str) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let limit = limit as u64 + 1;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {what} from standard input"))?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot open {}", path.display()))?
            .take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}
