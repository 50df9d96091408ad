//! `postern policy check` and `postern policy render`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use postern_core::policy::{self, Checked, Level, POLICY_BYTES_MAX, Policy};
use postern_core::render::{self, RenderContext};

use crate::cli::{CheckArgs, RenderArgs, RenderFormat};

/// Exit code of a policy with errors.
const EXIT_INVALID: u8 = 1;

/// Reads a policy file (bounded, so a wrong path to a huge file fails fast) and checks it.
/// Returns the findings and the text the findings are located in.
pub fn load(path: &Path) -> anyhow::Result<(Checked, String)> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open policy file {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(POLICY_BYTES_MAX as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read policy file {}", path.display()))?;
    let checked = policy::parse(&bytes, jiff::Timestamp::now());
    Ok((checked, String::from_utf8_lossy(&bytes).into_owned()))
}

/// Prints findings as `FILE:LINE:COL: level: message`.
pub fn print_diagnostics(path: &Path, checked: &Checked, source: &str) {
    let name = path.display().to_string();
    for d in &checked.diagnostics {
        eprintln!("{}", d.display(&name, source));
    }
}

/// Loads a policy for use, failing with every finding printed when it has errors.
pub fn load_valid(path: &Path) -> anyhow::Result<Policy> {
    let (checked, source) = load(path)?;
    print_diagnostics(path, &checked, &source);
    checked.policy.with_context(|| {
        format!(
            "{} has errors (listed above); fix them and try again",
            path.display()
        )
    })
}

pub fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let (checked, source) = load(&args.file)?;
    print_diagnostics(&args.file, &checked, &source);
    let count = |level: Level| {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.level == level)
            .count()
    };
    let (errors, warnings, notes) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Note),
    );
    // Notes never fail a check: they say what a choice means, not that it is wrong.
    let notes = if notes > 0 {
        format!(", {notes} note(s)")
    } else {
        String::new()
    };
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        eprintln!(
            "{}: invalid ({errors} error(s), {warnings} warning(s){notes})",
            args.file.display()
        );
        return Ok(ExitCode::from(EXIT_INVALID));
    }
    eprintln!(
        "{}: valid ({warnings} warning(s){notes})",
        args.file.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn render(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let (checked, source) = load(&args.file)?;
    print_diagnostics(&args.file, &checked, &source);
    let Some(policy) = checked.policy else {
        eprintln!("{}: invalid; nothing rendered", args.file.display());
        return Ok(ExitCode::from(EXIT_INVALID));
    };
    let ctx = RenderContext {
        now: jiff::Timestamp::now(),
        base_url: args
            .public_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_owned()),
        report_form: args.public_url.is_some(),
        csaf_provider: args
            .public_url
            .as_deref()
            .map(postern_core::export::csaf_directory::provider_metadata_url),
        served_openpgp_key: None,
    };
    let output = match args.format {
        RenderFormat::SecurityMd => render::security_md(&policy, &ctx),
        RenderFormat::SecurityTxt => render::security_txt(&policy, &ctx),
        RenderFormat::Json => {
            let mut json = serde_json::to_string_pretty(&policy).context("cannot encode JSON")?;
            json.push('\n');
            json
        }
    };
    print!("{output}");
    Ok(ExitCode::SUCCESS)
}
