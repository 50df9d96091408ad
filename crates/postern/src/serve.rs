//! `postern serve`: loads the policies, binds the listener and runs until SIGTERM or Ctrl-C.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use postern_app::Clock;
use postern_core::policy;
use postern_core::project::Project;
use postern_store::Store;
use postern_web::{AppState, IntakeLimits};

use crate::cli::ServeArgs;
use crate::open::{create_data_dir, load_projects, open_store};

pub fn run(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    if args.demo {
        if args.storage.database.is_some() {
            bail!(
                "--demo keeps its made-up data in a SQLite database of its own; leave out --database"
            );
        }
        if args.storage.data == Path::new(DEFAULT_DATA) {
            args.storage.data = DEMO_DATA.into();
        }
        // The demo account signs in with its printed password alone.
        args.require_second_factor = false;
    }
    let projects = if args.demo && args.policies.is_empty() {
        demo_projects()?
    } else {
        load_projects(&args.policies)?
    };
    // Checked before anything starts: a bad IMAP URL or a missing password stops here.
    let imap = crate::mail_in::ImapConfig::from_args(&args.imap)?;
    create_data_dir(&args.storage.data)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, projects, imap))?;
    Ok(ExitCode::SUCCESS)
}

fn init_logging(format: crate::cli::LogFormat) {
    // The web layer's filter: the operator's directives, with the libraries that log once per
    // oddity of their input (the HTML parser) silenced whatever they ask.
    let filter = postern_web::log_filter(std::env::var("POSTERN_LOG").ok().as_deref());
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        crate::cli::LogFormat::Json => log.json().with_current_span(false).try_init(),
        crate::cli::LogFormat::Text => log
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

async fn serve(
    args: ServeArgs,
    projects: Vec<Project>,
    imap: Option<crate::mail_in::ImapConfig>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr().context("no local address")?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let mailer = mailer(&args, &public_url)?;
    let store = open_store(&args.storage).await?;
    store.set_reminder_leads(&args.reminder_leads);
    tracing::info!(backend = store.backend(), "database ready");
    let state = AppState::new(
        projects,
        store.clone(),
        &public_url,
        Clock::system(),
        IntakeLimits {
            submissions_per_hour: args.submissions_per_hour,
            submission_burst: args.submission_burst,
            lookups_per_hour: args.lookups_per_hour,
            lookup_burst: args.lookup_burst,
            form_seconds_min: i64::from(args.form_min_seconds),
            ..IntakeLimits::default()
        },
    )
    .with_trusted_proxies(args.trusted_proxies.clone())
    .with_second_factor_required(args.require_second_factor)
    .with_mail(mailer.is_some());
    println!("Postern is listening on http://{local}");
    println!(
        "Security policy of {}: {public_url}/security-policy (security.txt at {public_url}/.well-known/security.txt)",
        state.default_project().policy.project.name
    );
    // The form only where the default policy lists a web-form channel.
    let form = if state.default_project().policy.offers_report_form() {
        format!("{public_url}/report (form), ")
    } else {
        String::new()
    };
    println!(
        "Reporters: {form}{public_url}/track (follow a report), {public_url}/api/openapi.json (API)"
    );
    for project in &state.projects()[1..] {
        println!(
            "Security policy of {}: {public_url}/projects/{}/security-policy",
            project.policy.project.name,
            project.slug()
        );
    }
    if args.demo {
        demo(&store, state.projects(), &public_url).await?;
        let said = crate::demo::seed_mail(state.app()).await?;
        println!("{said}");
        let said = crate::demo::seed_scans(state.app()).await?;
        println!("{said}");
        let said = crate::demo::seed_keys(state.app()).await?;
        println!("{said}");
    } else {
        first_admin(&store, &args.admin_email, &public_url).await?;
    }
    complete_old_reports(&store, state.projects().to_vec());
    publish_when_due(state.app().clone(), store.clone());
    if mailer.is_some() {
        mail_checkpoints_daily(store.clone(), state.default_project().slug().to_owned());
    }
    apply_retention_daily(state.app().clone());
    watch_finding_clocks(state.app().clone(), mailer.is_some());
    match &mailer {
        Some(m) => println!("Mail: notices go out through {}", m.server()),
        None => println!("Mail: off (no --smtp-url); nobody is told by mail of new reports"),
    }
    if args.webhooks_allow_private {
        println!(
            "Webhooks: may post to private and loopback addresses, and over plain http (--webhooks-allow-private)"
        );
    }
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let runner = crate::outbox::Outbox {
        store: store.clone(),
        app: state.app().clone(),
        mailer,
        project_names: state
            .projects()
            .iter()
            .map(|p| (p.slug().to_owned(), p.policy.project.name.clone()))
            .collect(),
        projects: state.app().projects().clone(),
        links: crate::mail::Links {
            public_url: public_url.trim_end_matches('/').to_owned(),
        },
        retry_base: jiff::SignedDuration::from_millis(i64::from(args.job_retry_base_ms.get())),
        reminder_leads: args.reminder_leads.clone(),
        webhooks: crate::webhook::Client::new(args.webhooks_allow_private)?,
    }
    .spawn(stopping.clone());
    let fetcher = imap.map(|config| {
        println!(
            "Mail in: reports are fetched from {} ({})",
            config.url, config.options.after
        );
        crate::mail_in::spawn(config, state.app().clone(), stopping)
    });
    let metrics = match args.metrics_listen {
        None => None,
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot listen on {address} (--metrics-listen)"))?;
            let local = listener.local_addr().context("no local address")?;
            println!("Metrics: http://{local}/metrics (and /healthz, /readyz)");
            let mut stopping = stop.subscribe();
            Some(tokio::spawn(postern_web::serve_metrics(
                listener,
                state.clone(),
                async move {
                    let _ = stopping.wait_for(|stopped| *stopped).await;
                },
            )))
        }
    };
    println!("Team: {public_url}/team");
    tracing::info!(%local, data = %args.storage.data.display(), "serving");
    postern_web::serve(listener, state.clone(), async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    })
    .await
    .context("the server failed")?;
    if let Some(metrics) = metrics {
        let _ = metrics.await;
    }
    // The runner finishes the jobs it holds (each bounded by the SMTP timeout); one cut off
    // is leased, and runs again after its lease at the next start.
    if tokio::time::timeout(RUNNER_STOP_WAIT, runner)
        .await
        .is_err()
    {
        tracing::warn!("the job runner did not stop in time; its jobs run again later");
    }
    // The fetcher finishes the message in hand; one cut off is fetched again at the next start
    // and recognised.
    if let Some(fetcher) = fetcher
        && tokio::time::timeout(RUNNER_STOP_WAIT, fetcher)
            .await
            .is_err()
    {
        tracing::warn!("the mail fetcher did not stop in time; its message is fetched again later");
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Where data lives unless `--data` says otherwise (clap's default for it).
const DEFAULT_DATA: &str = "postern-data";
/// Where `--demo` keeps its database unless `--data` says otherwise.
const DEMO_DATA: &str = "postern-demo";

/// The demo's projects: the example policy and the two seed policies.
fn demo_projects() -> anyhow::Result<Vec<Project>> {
    [
        crate::open::EXAMPLE_POLICY,
        include_str!("../../../examples/policies/openchat.toml"),
        include_str!("../../../examples/policies/linly-talker.toml"),
    ]
    .into_iter()
    .map(|text| {
        policy::parse_str(text, jiff::Timestamp::now())
            .policy
            .map(|policy| Project { policy })
            .context("a demo policy does not check; this is a bug")
    })
    .collect()
}

/// Seeds the demo (once) and gives the demo team account a fresh printed password at every
/// start; the second factor is not asked of it, so that one command shows everything.
async fn demo(store: &Store, projects: &[Project], public_url: &str) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now();
    let said = crate::demo::seed(store, projects, now).await?;
    println!("{said}");
    let password = data_encoding::BASE32_NOPAD
        .encode(&postern_store::vault::random_bytes::<10>()?)
        .to_lowercase();
    let hash =
        postern_store::credentials::hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = match store.user_by_email(crate::demo::DEMO_EMAIL).await? {
        Some(user) => store.reset_user(&user.email, "demo", now).await?,
        None => {
            store
                .create_user(
                    crate::demo::DEMO_EMAIL,
                    postern_store::team::Role::Admin,
                    &[],
                    "demo",
                    now,
                )
                .await?
                .1
        }
    };
    store.complete_setup(&token, &hash, None, now).await?;
    println!(
        "DEMO: made-up data only. Team: sign in at {public_url}/team/signin as {} with the password {password} (new at every start).",
        crate::demo::DEMO_EMAIL
    );
    Ok(())
}

/// How long a stopping server waits for the job runner.
const RUNNER_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(40);

/// The mail transport named by `--smtp-url`, if any.
fn mailer(
    args: &ServeArgs,
    public_url: &str,
) -> anyhow::Result<Option<std::sync::Arc<crate::mail::Mailer>>> {
    let Some(server) = &args.smtp_url else {
        return Ok(None);
    };
    let server: crate::mail::SmtpUrl = server
        .0
        .parse()
        .map_err(|error| anyhow::anyhow!("--smtp-url (POSTERN_SMTP_URL): {error}"))?;
    let Some(from) = &args.mail_from else {
        bail!(
            "--smtp-url needs --mail-from (or POSTERN_MAIL_FROM), the sender of notices, such as security@example.org"
        );
    };
    let hello = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".into());
    Ok(Some(std::sync::Arc::new(crate::mail::Mailer::new(
        &server, from, &hello,
    )?)))
}

/// How often `serve` looks for advisories whose embargo ended.
const PUBLISH_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Publishes scheduled advisories when their embargo ends: checked at start (so one due during
/// a restart is published at once) and every `PUBLISH_CHECK_EVERY`.
fn publish_when_due(app: postern_app::App, store: Store) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PUBLISH_CHECK_EVERY);
        loop {
            ticks.tick().await;
            match app.publish_due_advisories().await {
                Ok(ids) => {
                    for id in ids {
                        println!("Published advisory {id}: its embargo ended.");
                        tracing::info!(%id, "published an advisory at the end of its embargo");
                    }
                }
                Err(error) => tracing::warn!(%error, "could not publish due advisories"),
            }
            // Subscription requests never confirmed are deleted once their link expired.
            if let Err(error) = store.prune_subscriptions(jiff::Timestamp::now()).await {
                tracing::warn!(%error, "could not delete expired subscription requests");
            }
        }
    });
}

/// How often `serve` looks whether the day's audit checkpoint was mailed.
const CHECKPOINT_MAIL_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Mails the admins the audit log's checkpoint once a day (at the first hourly look of each
/// day, the first an hour after start, so that a start never mails before the first admin is
/// set up), through the outbox: whichever instance looks first, the day's dedupe key keeps it
/// to one mail per admin.
fn mail_checkpoints_daily(store: Store, project: String) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(CHECKPOINT_MAIL_CHECK_EVERY);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let result = match store.audit_checkpoint(jiff::Timestamp::now()).await {
                Ok(checkpoint) => store.enqueue_checkpoint_mails(&checkpoint, &project).await,
                Err(error) => Err(error),
            };
            if let Err(error) = result {
                tracing::warn!(%error, "could not queue the day's audit checkpoint mail");
            }
        }
    });
}

/// How often `serve` looks at the findings' fix deadlines and accepted risks.
const FINDING_CLOCKS_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Reminds of findings' fix deadlines, escalates missed ones and opens accepted risks that
/// expired: at start, then every `FINDING_CLOCKS_EVERY`. Each look is recorded, so instances
/// sharing a database never send a reminder twice.
fn watch_finding_clocks(app: postern_app::App, mail: bool) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(FINDING_CLOCKS_EVERY);
        loop {
            ticks.tick().await;
            match app.look_at_finding_clocks(mail).await {
                Ok(look) if look == postern_app::scan::ClockLook::default() => {}
                Ok(look) => tracing::info!(
                    reminded = look.reminded,
                    missed = look.missed,
                    reopened = look.reopened,
                    "looked at the findings' fix deadlines"
                ),
                Err(error) => {
                    tracing::warn!(%error, "could not look at the findings' fix deadlines")
                }
            }
        }
    });
}

/// How often `serve` applies the policies' retention (`[privacy]`).
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Erases what the policies' retention says is due: at start, then daily. Idempotent, so
/// instances sharing a database may each run it.
fn apply_retention_daily(app: postern_app::App) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(RETENTION_EVERY);
        loop {
            ticks.tick().await;
            match app.apply_retention().await {
                Ok(erased) => {
                    for (id, what) in erased {
                        tracing::info!(%id, what = what.name(), "retention erased");
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "could not apply retention; tried again tomorrow")
                }
            }
        }
    });
}

/// Reports stored by an older version get their clocks, fingerprints and titles, and the clocks
/// their state can no longer keep settled, in the background, while the server already answers.
fn complete_old_reports(store: &Store, projects: Vec<Project>) {
    let store = store.clone();
    tokio::spawn(async move {
        let clocks_for = |slug: &str, received_at: jiff::Timestamp| {
            projects
                .iter()
                .find(|p| p.slug() == slug)
                .map(|p| postern_core::case::Case::received(&p.policy, received_at).clocks)
        };
        match store
            .complete_old_reports(clocks_for, jiff::Timestamp::now())
            .await
        {
            Ok(done) if done == postern_store::team::Completed::default() => {}
            Ok(done) => tracing::info!(
                clocked = done.clocked,
                printed = done.printed,
                titled = done.titled,
                settled = done.settled,
                "completed reports stored by an older version"
            ),
            Err(error) => {
                tracing::warn!(%error, "could not complete reports stored by an older version")
            }
        }
    });
}

/// While no account has a password, prints how the first admin signs in. A new setup code is
/// made only when no code of that account still works: instances starting together (or one
/// restarting) never invalidate a code another printed; they say until when it works instead.
/// A lost code is replaced by `postern user reset EMAIL`.
async fn first_admin(store: &Store, email: &str, public_url: &str) -> anyhow::Result<()> {
    let users = store
        .list_users()
        .await
        .context("cannot read the team accounts")?;
    if users.iter().any(|u| u.password_hash.is_some()) {
        return Ok(());
    }
    let now = jiff::Timestamp::now();
    let admin = users
        .iter()
        .find(|u| u.role == postern_store::team::Role::Admin)
        .map(|u| u.email.clone());
    let created = match admin {
        Some(existing) => Err(existing),
        None => match store
            .create_user(email, postern_store::team::Role::Admin, &[], "serve", now)
            .await
        {
            Ok((user, code)) => Ok((user.email, code)),
            // Another instance created it a moment ago.
            Err(postern_store::StoreError::Conflict(_)) => Err(email.to_owned()),
            Err(error) => return Err(error).context("cannot create the first admin account"),
        },
    };
    let (email, code) = match created {
        Ok(made) => made,
        Err(existing) => {
            if let Some(until) = store.setup_valid_until(&existing, now).await? {
                println!(
                    "No team account is set up yet. The first admin ({existing}) has a setup code, printed by an earlier start (of this or another instance), valid until {until}; if it is lost, `postern user reset {existing}` prints a new one."
                );
                return Ok(());
            }
            let code = store.reset_user(&existing, "serve", now).await?;
            (existing, code)
        }
    };
    println!("No team account is set up yet. The first admin signs in as {email}:");
    crate::user::print_setup(&email, public_url, &code);
    Ok(())
}

/// Opens the store named by the storage options (SQLite in the data directory by default).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
