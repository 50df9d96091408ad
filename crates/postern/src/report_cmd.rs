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
        let rows = self
            .app
            .store()
            .queue(
                &QueueFilter {
                    projects: args.project.clone().map(|p| vec![p]),
                    state,
                    severity,
                    overdue_at: args.overdue.then_some(now),
                },
                args.limit,
            )
            .await?;
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
        println!("{}", postern_core::report::title(&view.submission.fields));
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
            Work::Act(id, action, message) => ctx.act(&id, action, message.as_deref()).await,
            Work::Note(id, text) => match ctx.app.add_note(&ctx.actor, &id, &text).await {
                Ok(()) => {
                    println!("{id}: note added");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => crate::open::refusal(e, &format!("report {id}")),
            },
        };
        ctx.app.store().close().await;
        result
    })
}

enum Work {
    List(crate::cli::ReportListArgs),
    Show(ReportId),
    Act(ReportId, Action, Option<String>),
    Note(ReportId, String),
}

fn split(command: ReportCommand) -> anyhow::Result<(ReportContext, Work)> {
    use ReportCommand as C;
    Ok(match command {
        C::List(args) => (args.context.clone(), Work::List(args)),
        C::Show(a) => (a.context, Work::Show(report_id(&a.id)?)),
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
