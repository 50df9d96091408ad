//! `postern report ...`: the team's actions from a terminal. Every action is the same use case
//! (`postern_app`) the pages call, so both check the same rules, record the same audit events
//! and tell the reporter the same things; this file only reads arguments and prints.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use postern_app::case::Seen;
use postern_app::{Actor, App};
use postern_core::case::{Action, Closing, Rating, parse_closure, parse_severity};
use postern_core::clock::{ClockKind, ClockState};
use postern_core::lifecycle::Closure;
use postern_core::project::Project;
use postern_core::report::{Author, ReportId};
use postern_store::team::{QueueFilter, QueueState};

use crate::cli::{ReportCommand, ReportContext};
use crate::user::default_actor;

struct Context {
    app: App,
    actor: Actor,
}

async fn open(context: &ReportContext) -> anyhow::Result<Context> {
    Ok(Context {
        app: crate::open::open_app(context).await?,
        actor: Actor::operator(&default_actor(context.actor.as_deref())),
    })
}

/// Most audit events `report show` reads: the newest.
const HISTORY_EVENTS_MAX: usize = 1000;

fn report_id(text: &str) -> anyhow::Result<ReportId> {
    ReportId::parse(text.trim()).with_context(|| {
        format!(
            "{text:?} is not a report id: 26 letters and digits, as `postern report list` shows"
        )
    })
}

fn clock_kind(text: &str) -> anyhow::Result<ClockKind> {
    ClockKind::parse(text.trim()).with_context(|| {
        format!("{text:?} is not a deadline: write acknowledge, assess, plan, update, fix, release or disclose")
    })
}

fn human(policy: &postern_core::policy::Policy, at: Timestamp) -> String {
    let tz = jiff::tz::TimeZone::get(&policy.response.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    at.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string()
}

impl Context {
    fn project(&self, slug: &str) -> anyhow::Result<&Project> {
        self.app.project(slug).with_context(|| {
            format!("the report belongs to project {slug:?}, whose policy was not given; pass it with --policy FILE")
        })
    }

    /// Applies an action and stores it; prints what changed.
    async fn act(
        &self,
        id: &ReportId,
        action: Action,
        message: Option<&str>,
    ) -> anyhow::Result<ExitCode> {
        let change = match self
            .app
            .act_on_report(&self.actor, id, Seen::Current, action, message)
            .await
        {
            Ok(change) => change,
            Err(e) => return crate::open::refusal(e, &format!("report {id}")),
        };
        let applied = &change.applied;
        println!(
            "{id}: {} -> {} ({})",
            change.before.name(),
            applied.case.status.name(),
            applied.event
        );
        if let Some(notice) = &applied.notice {
            println!("The reporter is told: {notice}");
        }
        if let Some(due) = applied.case.clocks.next_due() {
            let row = self.app.store().case_row(id).await?;
            println!(
                "Next deadline: {}",
                human(&self.project(&row.project)?.policy, due)
            );
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn list(&self, args: &crate::cli::ReportListArgs) -> anyhow::Result<ExitCode> {
        let state =
            QueueState::parse(args.status.as_deref().unwrap_or("")).map_err(anyhow::Error::msg)?;
        let severity = match &args.severity {
            Some(s) => Some(parse_severity(s).with_context(|| {
                format!("{s:?} is not a severity: critical, high, medium or low")
            })?),
            None => None,
        };
        let now = Timestamp::now();
        let found = self
            .app
            .queue(
                &self.actor,
                QueueFilter {
                    projects: args.project.clone().map(|p| vec![p]),
                    state,
                    severity,
                    overdue_at: args.overdue.then_some(now),
                    assignee: args.assignee.as_deref().map(|a| match a.trim() {
                        "nobody" => None,
                        email => Some(email.to_lowercase()),
                    }),
                    order: args
                        .sort
                        .as_deref()
                        .map(postern_store::team::QueueOrder::parse)
                        .transpose()
                        .map_err(anyhow::Error::msg)?,
                    search: None,
                },
                args.search.as_deref().unwrap_or_default(),
                args.limit,
            )
            .await;
        let rows = match found {
            Ok(rows) => rows,
            Err(e) => return crate::open::refusal(e, "report list"),
        };
        if rows.is_empty() {
            println!("No reports match.");
            return Ok(ExitCode::SUCCESS);
        }
        let width = rows
            .iter()
            .map(|r| r.project.chars().count())
            .chain([7])
            .max()
            .unwrap_or(7);
        println!(
            "{:<26}  {:<width$}  {:<12}  {:<8}  {:<28}  TITLE",
            "ID", "PROJECT", "STATE", "SEVERITY", "NEXT DEADLINE"
        );
        for r in rows {
            let due = r.next_due_at.map_or_else(
                || "none running".to_owned(),
                |d| {
                    format!(
                        "{}{}",
                        if d < now { "OVERDUE " } else { "" },
                        d.strftime("%Y-%m-%d %H:%M UTC")
                    )
                },
            );
            println!(
                "{}  {:<width$}  {:<12}  {:<8}  {due:<28}  {}",
                r.id,
                r.project,
                r.status.name(),
                r.severity.map_or("-", |s| s.title()),
                r.title
            );
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn show(&self, id: &ReportId) -> anyhow::Result<ExitCode> {
        let now = Timestamp::now();
        let view = match self.app.store().team_view(id, self.actor.name(), now).await {
            Ok(view) => view,
            Err(postern_store::StoreError::NotFound) => bail!("there is no report {id}"),
            Err(e) => return Err(e.into()),
        };
        let project = self.project(&view.project)?;
        let policy = &project.policy;
        match view.privacy.contents_erased_at {
            Some(_) => println!("{}", postern_store::privacy::ERASED_TITLE),
            None => println!("{}", postern_core::report::title(&view.submission.fields)),
        }
        println!("Report {id} ({})", policy.project.name);
        println!("State:    {}", view.case.status.name());
        println!(
            "Severity: {}",
            view.case.severity.map_or("not rated", |s| s.title())
        );
        if let (Some(v), Some(s)) = (&view.case.record.cvss_vector, view.case.record.cvss_score) {
            println!("CVSS:     {v} ({s:.1})");
        }
        println!("Received: {}", human(policy, view.received_at));
        for what in postern_core::privacy::Erasure::ALL {
            if let Some(at) = view.privacy.erased_at(what) {
                println!("Erased:   {} on {}", what.name(), human(policy, at));
            }
        }
        if let Some(hold) = view.privacy.hold_at(now) {
            println!(
                "Hold:     legal hold through {} ({})",
                hold.until.strftime("%Y-%m-%d"),
                hold.reason
            );
        }
        println!("Channel:  {}", self.app.store().report_channel(id).await?);
        println!("\nDeadlines:");
        for c in view.case.clocks.current() {
            let state = c.state(now);
            let times = match c.due {
                Some(due) => format!(
                    "target {}  limit {}",
                    human(policy, due.target_at),
                    human(policy, due.limit_at)
                ),
                // Nothing to be late for: its age is what there is to see.
                None => format!(
                    "no set time, {} {}",
                    if c.is_open() { "running for" } else { "took" },
                    postern_core::stats::human(c.age(now))
                ),
            };
            println!(
                "  {:<28} {:<10} from {} {}  {times}  {}{}",
                c.kind.describe(),
                c.promised,
                view.case.clocks.counted_from(c),
                human(policy, c.started_at),
                state.name(),
                if state == ClockState::Overdue {
                    " !"
                } else {
                    ""
                }
            );
        }
        println!("\nContents:");
        for (k, v) in &view.submission.fields {
            let label = policy
                .form
                .fields
                .iter()
                .find(|f| f.id == *k)
                .map_or(k.as_str(), |f| f.label.as_str());
            println!("  {label}:\n{}", indent(v));
        }
        if let Some(email) = &view.submission.contact_email {
            println!("  Reporter's email: {email}");
        }
        match &view.submission.credit_name {
            Some(name) => println!("  Credit as: {name}"),
            None => println!("  Credit: anonymous"),
        }
        for a in &view.attachments {
            println!("  attachment {} ({} bytes)", a.filename, a.size);
        }
        let arrived = self.app.store().report_mail(id).await?;
        if arrived.iter().any(|item| item.summary.openpgp.is_some()) {
            println!("\nHow the mail arrived:");
            for item in arrived {
                if let Some(crypto) = item.summary.openpgp {
                    println!(
                        "  {} ({}): {} {}",
                        human(policy, item.received_at),
                        item.state.name(),
                        crypto.encryption.describe(),
                        crypto.signature.describe()
                    );
                }
            }
        }
        println!("\nConversation:");
        for m in &view.messages {
            let who = if m.author == Author::Team {
                "team"
            } else {
                "reporter"
            };
            println!("  {who}, {}:\n{}", human(policy, m.at), indent(&m.body));
        }
        println!("\nInternal notes:");
        for n in &view.notes {
            println!(
                "  {}, {}:\n{}",
                n.author,
                human(policy, n.at),
                indent(&n.body)
            );
        }
        println!("\nHistory:");
        let (events, cut) = self
            .app
            .store()
            .recent_report_events(id, HISTORY_EVENTS_MAX)
            .await?;
        if cut {
            println!(
                "  (the newest {HISTORY_EVENTS_MAX} events; `postern audit verify` checks them all)"
            );
        }
        for e in postern_core::history::history(&events, &|at| human(policy, at)) {
            let last = if e.events > 1 {
                format!(", the last at {}", human(policy, e.at))
            } else {
                String::new()
            };
            let sentence = e.sentence();
            let sentence = sentence.strip_suffix('.').unwrap_or(&sentence);
            println!("  {}  {sentence}{last}.", human(policy, e.first_at));
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// The largest `--file` read: as large as a submission the API takes.
const REPORT_FILE_BYTES_MAX: u64 = 24 * 1024 * 1024;

/// A report as `--file` gives it: the keys of the API's `POST /api/v1/reports` body.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReportFile {
    project: Option<String>,
    #[serde(default, deserialize_with = "postern_core::intake::fields_once")]
    fields: Vec<(String, String)>,
    scope_category: Option<String>,
    contact_email: Option<String>,
    credit_name: Option<String>,
    #[serde(default)]
    attachments: Vec<AttachmentFile>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentFile {
    filename: String,
    content_type: Option<String>,
    content_base64: String,
}

/// Reads `--file` (or standard input for "-"), bounded; a JSON mistake is located as
/// `FILE:LINE:COL`.
fn read_report_file(path: &std::path::Path) -> anyhow::Result<ReportFile> {
    use std::io::Read as _;
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    let reader: Box<dyn std::io::Read> = if name == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("cannot open --file {name}"))?)
    };
    reader
        .take(REPORT_FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read --file {name}"))?;
    if bytes.len() as u64 > REPORT_FILE_BYTES_MAX {
        bail!(
            "{name} is larger than {} MiB; send large files with --attach",
            REPORT_FILE_BYTES_MAX / 1024 / 1024
        );
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        // serde_json ends its message with the place, which leads the line here instead.
        let message = e.to_string();
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        anyhow::anyhow!(
            "{name}:{}:{}: {message}; write the JSON body of POST /api/v1/reports: {{\"fields\": {{\"title\": \"...\"}}, \"contact_email\": ..., \"credit_name\": ..., \"scope_category\": ..., \"attachments\": [...]}}",
            e.line(),
            e.column()
        )
    })
}

/// What the team typed, as the use case takes it: `--file` first, then the flags.
fn recorded_report(
    args: &crate::cli::ReportAddArgs,
) -> anyhow::Result<postern_app::recorded::RecordedReport> {
    let file = match &args.file {
        Some(path) => read_report_file(path)?,
        None => ReportFile::default(),
    };
    let mut fields = file.fields;
    for given in &args.fields {
        let (id, value) = given.split_once('=').with_context(|| {
            format!("--field {given:?} is not ID=VALUE; write --field title=\"XSS in search\"")
        })?;
        let id = id.trim();
        fields.retain(|(k, _)| k != id);
        fields.push((id.to_owned(), value.to_owned()));
    }
    let mut uploads = Vec::new();
    for (i, a) in file.attachments.into_iter().enumerate() {
        let bytes = data_encoding::BASE64
            .decode(a.content_base64.as_bytes())
            .map_err(|_| {
                anyhow::anyhow!(
                    "attachments[{i}].content_base64 is not valid base64 (RFC 4648, with padding)"
                )
            })?;
        uploads.push(postern_app::intake::Upload {
            filename: a.filename,
            content_type: a.content_type,
            bytes,
        });
    }
    for path in &args.attach {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read --attach {}", path.display()))?;
        uploads.push(postern_app::intake::Upload {
            filename: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            content_type: None,
            bytes,
        });
    }
    Ok(postern_app::recorded::RecordedReport {
        project: args.project.clone().or(file.project),
        channel: args.channel.clone(),
        received_at: args.received_at.clone(),
        submission: postern_core::intake::Submission {
            fields,
            scope_category: file.scope_category,
            contact_email: args.contact_email.clone().or(file.contact_email),
            credit_name: args.credit_name.clone().or(file.credit_name),
        },
        uploads,
        give_case_key: args.case_key,
    })
}

/// Where a field of the use case's answer was given on the command line.
fn flag_of(field: &str) -> String {
    match field {
        "channel" | "project" | "received_at" | "contact_email" | "credit_name" => {
            format!("--{}", field.replace('_', "-"))
        }
        "scope" => "scope_category".into(),
        f if f.starts_with("attachments") => f.to_owned(),
        f => format!("field {f}"),
    }
}

impl Context {
    /// `postern report add`: records a report that came through another channel.
    async fn add(&self, args: crate::cli::ReportAddArgs) -> anyhow::Result<ExitCode> {
        let report = recorded_report(&args)?;
        let done = match self.app.record_report(&self.actor, report).await {
            Ok(done) => done,
            Err(postern_app::Error::Invalid(errors)) => {
                for e in errors {
                    eprintln!("postern: {}: {}", flag_of(&e.field), e.message);
                }
                eprintln!("postern: nothing was recorded");
                return Ok(ExitCode::from(1));
            }
            Err(e) => return crate::open::refusal(e, "such project"),
        };
        let project = self.project(&done.project)?;
        let policy = &project.policy;
        println!(
            "Recorded report {} for {}: received {} through {}; its deadlines run from then.",
            done.id,
            policy.project.name,
            human(policy, done.received_at),
            done.channel.name()
        );
        let now = Timestamp::now();
        for c in done.clocks.current() {
            let by = c.limit_at().map_or_else(
                || "no set time".to_owned(),
                |limit| {
                    format!(
                        "by {}{}",
                        human(policy, limit),
                        if limit < now { " (passed)" } else { "" }
                    )
                },
            );
            println!("  {:<28} {:<16} {by}", c.kind.describe(), c.promised);
        }
        if let Some(key) = &done.case_key {
            println!(
                "Case key for the reporter (shown only now; they follow the report at {}/track): {}",
                self.app.public_url(),
                key.reveal()
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn run(command: ReportCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let (context, work) = split(command)?;
        let ctx = open(&context).await?;
        let result = match work {
            Work::List(args) => ctx.list(&args).await,
            Work::Show(id) => ctx.show(&id).await,
            Work::Add(args) => ctx.add(*args).await,
            Work::Act(id, action, message) => ctx.act(&id, action, message.as_deref()).await,
            Work::Note(id, text) => match ctx.app.add_note(&ctx.actor, &id, &text).await {
                Ok(()) => {
                    println!("{id}: note added");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => crate::open::refusal(e, &format!("report {id}")),
            },
            Work::Assign(id, to) => {
                match ctx.app.assign_report(&ctx.actor, &id, to.as_deref()).await {
                    Ok(()) => {
                        match to {
                            Some(to) => println!("{id}: assigned to {to}"),
                            None => println!("{id}: assigned to nobody"),
                        }
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => crate::open::refusal(e, &format!("report {id}")),
                }
            }
            Work::Erase(id, what, reason) => {
                match ctx.app.erase_report(&ctx.actor, &id, what, &reason).await {
                    Ok(erased) if erased.already => {
                        println!(
                            "{id}: its {} was erased before, on {}; nothing changed",
                            what.name(),
                            erased.at.strftime("%Y-%m-%d")
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Ok(_) => {
                        println!("{id}: erased {}", what.describe());
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => crate::open::refusal(e, &format!("report {id}")),
                }
            }
            Work::Hold(id, until, reason) => {
                match ctx.app.hold_report(&ctx.actor, &id, until, &reason).await {
                    Ok(hold) => {
                        println!(
                            "{id}: under legal hold through {}; retention and erasure wait",
                            hold.until.strftime("%Y-%m-%d")
                        );
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => crate::open::refusal(e, &format!("report {id}")),
                }
            }
        };
        ctx.app.store().close().await;
        result
    })
}

enum Work {
    List(crate::cli::ReportListArgs),
    Show(ReportId),
    Add(Box<crate::cli::ReportAddArgs>),
    Act(ReportId, Action, Option<String>),
    Note(ReportId, String),
    Assign(ReportId, Option<String>),
    Erase(ReportId, postern_core::privacy::Erasure, String),
    Hold(ReportId, Timestamp, String),
}

fn split(command: ReportCommand) -> anyhow::Result<(ReportContext, Work)> {
    use ReportCommand as C;
    Ok(match command {
        C::List(args) => (args.context.clone(), Work::List(args)),
        C::Show(a) => (a.context, Work::Show(report_id(&a.id)?)),
        C::Add(a) => (a.context.clone(), Work::Add(Box::new(a))),
        C::Ack(a) => (
            a.context,
            Work::Act(report_id(&a.id)?, Action::Acknowledge, None),
        ),
        C::Fix(a) => (
            a.context,
            Work::Act(report_id(&a.id)?, Action::StartFix, None),
        ),
        C::Disclose(a) => (
            a.context,
            Work::Act(report_id(&a.id)?, Action::Disclose, None),
        ),
        C::Close(a) => (
            a.context,
            Work::Act(report_id(&a.id)?, Action::Resolve, None),
        ),
        C::Fixed(a) => (
            a.context,
            Work::Act(report_id(&a.id)?, Action::Fixed(vec![a.versions]), None),
        ),
        C::Message(a) => (
            a.context,
            Work::Act(report_id(&a.id)?, Action::MessageSent(a.plan), Some(a.text)),
        ),
        C::Note(a) => (a.context, Work::Note(report_id(&a.id)?, a.text)),
        C::Assign(a) => (a.context, Work::Assign(report_id(&a.id)?, a.to)),
        C::Erase(a) => {
            let what = postern_core::privacy::Erasure::parse(&a.what)
                .with_context(|| format!("--what {:?}: write contact or contents", a.what))?;
            (a.context, Work::Erase(report_id(&a.id)?, what, a.reason))
        }
        C::Hold(a) => {
            let until = postern_core::privacy::parse_hold_until(&a.until)
                .map_err(|m| anyhow::anyhow!("--until: {m}"))?;
            (a.context, Work::Hold(report_id(&a.id)?, until, a.reason))
        }
        C::Extend(a) => {
            let span = postern_core::policy::parse_time_span(&a.by).map_err(anyhow::Error::msg)?;
            (
                a.context,
                Work::Act(
                    report_id(&a.id)?,
                    Action::Extend(clock_kind(&a.clock)?, span, a.reason),
                    None,
                ),
            )
        }
        C::Pause(a) => (
            a.context,
            Work::Act(
                report_id(&a.id)?,
                Action::Pause(clock_kind(&a.clock)?, a.reason),
                None,
            ),
        ),
        C::Resume(a) => (
            a.context,
            Work::Act(
                report_id(&a.id)?,
                Action::Resume(clock_kind(&a.clock)?, a.reason),
                None,
            ),
        ),
        C::Triage(a) => {
            let id = report_id(&a.id)?;
            let severity = match &a.severity {
                Some(s) => Some(parse_severity(s).with_context(|| {
                    format!("{s:?} is not a severity: critical, high, medium or low")
                })?),
                None => None,
            };
            let action = match (&a.close, a.accept) {
                (Some(why), _) => {
                    let closure = parse_closure(why)
                        .filter(|c| *c != Closure::Resolved)
                        .with_context(|| format!("{why:?} is not a reason to close: out-of-scope, duplicate, informative, not-reproducible or spam"))?;
                    Action::Close(Closing {
                        closure,
                        duplicate_of: a.duplicate_of.as_deref().map(report_id).transpose()?,
                        scope_category: a.category.clone(),
                    })
                }
                (None, true) => Action::Accept(Rating {
                    cvss_vector: a.cvss.clone(),
                    severity,
                    reason: a.reason.clone(),
                }),
                (None, false) => {
                    bail!("say --accept (with --cvss or --severity) or --close REASON")
                }
            };
            (a.context, Work::Act(id, action, None))
        }
    })
}
