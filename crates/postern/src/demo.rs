//! `postern serve --demo`: a year of made-up but realistic work in a database of its own, so
//! that a new user sees the whole product in one command: reports in every state with their
//! clocks (some promises kept, a few missed), conversations, published advisories with credits
//! (some reporters anonymous), one advisory under embargo, a hall of fame and statistics.
//!
//! Everything goes through the same code as real work (`core::case::apply`, the store's
//! audited writes), with past moments, so the audit log, the clocks and `/stats` are real.
//! Reports of a project whose policy lists no web form come through its other channels,
//! recorded by the demo's team account.

use anyhow::Context as _;
use jiff::{SignedDuration, Timestamp};
use postern_core::advisory::{
    CreditRole, DraftSource, Reference, ReferenceKind, draft_from_report,
};
use postern_core::case::{Action, Case, Closing, Rating, apply};
use postern_core::intake::ValidSubmission;
use postern_core::lifecycle::Closure;
use postern_core::project::Project;
use postern_core::report::ReportId;
use postern_store::Store;

/// The demo's team account.
pub const DEMO_EMAIL: &str = "demo@example.org";
/// Reports the demo makes, spread over the last year.
pub const DEMO_REPORTS: usize = 48;

/// A small deterministic generator, so that every demo shows the same year.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % sides.max(1)
    }

    fn hours(&mut self, from: i64, to: i64) -> SignedDuration {
        SignedDuration::from_hours(from + self.roll((to - from).max(1) as u64) as i64)
    }
}

const FINDINGS: [(&str, &str, &str, &str); 8] = [
    (
        "Path traversal in the attachment download",
        "The `name` parameter of /download is joined to the storage path without normalisation, so `../../etc/passwd` is served.",
        "Any file readable by the server process can be read without signing in.",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    ),
    (
        "Stored XSS in project titles",
        "Project titles are inserted into the dashboard as HTML. A title such as `<img src=x onerror=alert(1)>` runs in every visitor's session.",
        "An attacker with a free account can act as any administrator who opens the dashboard.",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
    ),
    (
        "SQL injection in the search endpoint",
        "The `sort` parameter of /api/search is concatenated into an ORDER BY clause.",
        "The whole database can be read, including password hashes.",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ),
    (
        "SSRF through webhook previews",
        "The webhook preview fetches any URL, including http://169.254.169.254/, and shows the answer.",
        "Cloud credentials of the host can be read.",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N",
    ),
    (
        "Missing authorization on invoice export",
        "GET /api/invoices/{id}/export checks that the user is signed in but not that the invoice is theirs.",
        "Invoices of every customer can be downloaded by enumerating ids.",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
    ),
    (
        "Open redirect after sign-in",
        "The `next` parameter of /login accepts absolute URLs.",
        "Phishing pages can be reached through a trusted link.",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N",
    ),
    (
        "Denial of service through deeply nested JSON",
        "A request body with 100,000 nested arrays exhausts the parser's stack and crashes the worker.",
        "One request stops a worker; a few stop the service.",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    ),
    (
        "Session fixation on the OAuth callback",
        "The session id is not renewed after the OAuth callback completes.",
        "An attacker who planted a session id takes over the victim's account.",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N",
    ),
];

const REPORTERS: [Option<&str>; 6] = [
    Some("Ada Lovelace"),
    Some("Grace Hopper"),
    None,
    Some("Katherine Johnson"),
    Some("Ada Lovelace"),
    None,
];

fn submission(n: usize, project: &Project) -> ValidSubmission {
    let (title, description, impact, _) = FINDINGS[n % FINDINGS.len()];
    // Only the fields this project's form has, so the team's page shows them by their labels.
    let wanted = [
        ("title", title.to_owned()),
        ("description", description.to_owned()),
        ("impact", impact.to_owned()),
        (
            "steps_to_reproduce",
            "1. Sign in as a normal user.\n2. Send the request above.\n3. Observe the answer."
                .to_owned(),
        ),
        ("affected_versions", format!("2.{}.x", n % 6)),
    ];
    let fields = wanted
        .into_iter()
        .filter(|(id, _)| *id == "title" || project.policy.form.fields.iter().any(|f| f.id == *id))
        .map(|(id, value)| (id.to_owned(), value))
        .collect();
    let scope_category = project
        .policy
        .scope
        .in_scope
        .first()
        .map(|s| s.category.clone());
    let credit = REPORTERS[(n * 7 / 3) % REPORTERS.len()];
    ValidSubmission {
        fields,
        scope_category,
        contact_email: credit
            .map(|name| format!("{}@example.org", name.to_lowercase().replace(' ', "."))),
        credit_name: credit.map(str::to_owned),
    }
}

/// Seeds the demo year into an empty store and returns what it made; does nothing (and says
/// so) when the store holds reports already.
pub async fn seed(store: &Store, projects: &[Project], now: Timestamp) -> anyhow::Result<String> {
    if store.count_reports().await? > 0 {
        return Ok("The demo database is seeded already.".into());
    }
    let mut dice = Dice(0x5EC0_71E5);
    let year = SignedDuration::from_hours(365 * 24);
    let mut published = 0;
    let mut scheduled = 0;
    for n in 0..DEMO_REPORTS {
        let project = &projects[match n % 6 {
            0..=3 => 0,
            4 => 1 % projects.len(),
            _ => 2 % projects.len(),
        }];
        let policy = &project.policy;
        // Oldest first; the last few arrived in the past days.
        let back = year.as_secs() * (DEMO_REPORTS - n) as i64 / DEMO_REPORTS as i64;
        let received = now - SignedDuration::from_secs(back) + dice.hours(0, 12);
        let case = Case::received(policy, received);
        let submission = submission(n, project);
        // A project that takes no reports through Postern's form gets them through its other
        // channels, recorded by the team soon after, as a real team would.
        let recordable = policy.recordable_channels();
        let (id, key) = if policy.offers_report_form() || recordable.is_empty() {
            store
                .create_case_report(
                    policy.project.slug.as_str(),
                    &submission,
                    &[],
                    received,
                    &case.clocks,
                )
                .await
                .context("cannot store a demo report")?
        } else {
            let recording = postern_store::Recording {
                project: policy.project.slug.as_str(),
                channel: recordable[n % recordable.len()],
                received_at: received,
                recorded_by: DEMO_EMAIL,
                // Not from the dice, so that the rest of the year stays as it was.
                recorded_at: (received + SignedDuration::from_mins(20 + 10 * (n as i64 % 7)))
                    .min(now),
                give_case_key: true,
            };
            let (id, key) = store
                .record_report(&recording, &submission, &[], &case.clocks)
                .await
                .context("cannot record a demo report")?;
            (id, key.context("a recorded demo report has its case key")?)
        };
        let age_days = now.duration_since(received).as_hours() / 24;
        let mut at = received;
        let mut step = |hours: SignedDuration| {
            at += hours;
            at.min(now - SignedDuration::from_mins(5))
        };
        // Most are acknowledged within the promise; one in eight late.
        if age_days < 1 {
            continue;
        }
        let late = n % 8 == 5;
        let when = step(if late {
            dice.hours(50, 90)
        } else {
            dice.hours(1, 30)
        });
        act(store, project, &id, Action::Acknowledge, None, when).await?;
        if n % 5 == 1 {
            store
                .add_reporter_message(
                    Some(&id),
                    &key,
                    "Thanks for the quick answer. I can share a proof of concept video if that helps.",
                    step(dice.hours(2, 20)),
                )
                .await?;
        }
        if age_days < 4 {
            continue;
        }
        // One in four is closed at triage, for every reason a team closes reports.
        if n % 4 == 3 {
            let closure = [
                Closure::Informative,
                Closure::NotReproducible,
                Closure::OutOfScope,
                Closure::Spam,
            ][(n / 4) % 4];
            let scope_category = (closure == Closure::OutOfScope)
                .then(|| {
                    policy
                        .scope
                        .out_of_scope
                        .first()
                        .map(|s| s.category.clone())
                })
                .flatten();
            let closure = if closure == Closure::OutOfScope && scope_category.is_none() {
                Closure::Informative
            } else {
                closure
            };
            act(
                store,
                project,
                &id,
                Action::Close(Closing {
                    closure,
                    duplicate_of: None,
                    scope_category,
                }),
                Some("Thank you for the report. After looking at it closely we do not consider it a vulnerability in our product; the details are in the closing note."),
                step(dice.hours(20, 90)),
            )
            .await?;
            continue;
        }
        let vector = FINDINGS[n % FINDINGS.len()].3;
        act(
            store,
            project,
            &id,
            Action::Accept(Rating {
                cvss_vector: Some(vector.to_owned()),
                severity: None,
                reason: None,
            }),
            Some("We confirmed the issue and rated it with the CVSS vector shown. A fix is being planned."),
            step(dice.hours(10, 80)),
        )
        .await?;
        if n % 3 != 1 {
            act(
                store,
                project,
                &id,
                Action::MessageSent(true),
                Some("Our plan: a fix in the next patch release, an advisory with a CVE id, and your credit as you asked. We will keep you posted."),
                step(dice.hours(6, 60)),
            )
            .await?;
        }
        if age_days < 8 {
            continue;
        }
        act(
            store,
            project,
            &id,
            Action::StartFix,
            None,
            step(dice.hours(4, 48)),
        )
        .await?;
        if age_days < 20 {
            continue;
        }
        let fixed_in = format!("2.{}.{}", n % 6, 1 + n % 4);
        let slow = n % 7 == 4;
        act(
            store,
            project,
            &id,
            Action::Fixed(vec![fixed_in.clone()]),
            Some("The fix is released; please check it if you have a moment."),
            step(if slow {
                dice.hours(24 * 40, 24 * 60)
            } else {
                dice.hours(24, 24 * 12)
            }),
        )
        .await?;
        // The advisory: drafted from the report, credited as the reporter asked.
        let drafted = step(dice.hours(2, 24));
        let view = store.team_view(&id, "demo", drafted).await?;
        let advisory_year = drafted.to_zoned(jiff::tz::TimeZone::UTC).year();
        let advisory_id = store
            .next_advisory_id(&policy.project.advisory_prefix, advisory_year)
            .await?;
        // A policy without a package to name (OpenChat's) gets one for the demo's drafts.
        let mut with_package = policy.clone();
        if !with_package
            .products
            .iter()
            .any(|p| p.ecosystem.is_some() && p.package.is_some())
        {
            with_package.products.push(postern_core::policy::Product {
                name: policy.project.name.clone(),
                ecosystem: Some("npm".into()),
                package: Some(policy.project.slug.clone()),
                repository: None,
            });
        }
        let mut draft = draft_from_report(
            DraftSource {
                policy: &with_package,
                fields: &view.submission.fields,
                credit_name: view.submission.credit_name.as_deref(),
                case: &view.case,
            },
            advisory_id.clone(),
            drafted,
        )
        .map_err(|e| anyhow::anyhow!("demo advisory draft: {e}"))?;
        draft.references.push(Reference {
            kind: ReferenceKind::Fix,
            url: format!(
                "https://github.com/example/{}/releases/tag/v{fixed_in}",
                policy.project.slug
            ),
        });
        if n % 3 == 0 {
            draft
                .aliases
                .push(format!("CVE-{advisory_year}-{}", 51_000 + n));
        }
        if let Some(c) = draft.credits.first_mut()
            && n % 5 == 2
        {
            c.role = CreditRole::Analyst;
        }
        store
            .save_advisory(&draft, Some(&id), "demo", drafted)
            .await
            .with_context(|| format!("cannot save the demo advisory {advisory_id}"))?;
        // The most recent fixed report is still under embargo: it publishes itself later.
        let publish_at = drafted + dice.hours(24 * 7, 24 * 30);
        if publish_at > now - SignedDuration::from_hours(1) {
            // With the policy's early access: the list gets it before publication.
            store
                .schedule_advisory_with_early_access(
                    &advisory_id,
                    now + dice.hours(24 * 3, 24 * 20),
                    postern_core::embargo::early_access_lead(policy),
                    "demo",
                    drafted,
                )
                .await?;
            scheduled += 1;
            continue;
        }
        store
            .publish_advisory(&advisory_id, "demo", publish_at)
            .await?;
        published += 1;
        act(store, project, &id, Action::Disclose, None, publish_at).await?;
        if n % 2 == 0 {
            act(
                store,
                project,
                &id,
                Action::Resolve,
                None,
                step(dice.hours(24, 24 * 5)).max(publish_at),
            )
            .await?;
        }
    }
    // A few people follow the advisories by mail (made-up addresses), one not confirmed yet.
    for (i, email) in [
        "ops@example.net",
        "security-feed@example.com",
        "jane.doe@example.org",
        "packager@example.net",
    ]
    .into_iter()
    .enumerate()
    {
        let project = projects[i % 2 % projects.len()].slug();
        // The last asked two hours ago: its link is still good.
        let asked = if i == 3 {
            now - SignedDuration::from_hours(2)
        } else {
            now - SignedDuration::from_hours(24 * (40 - 9 * i as i64))
        };
        store.request_subscription(project, email, asked).await?;
        if i != 3
            && let Some(id) = store.subscriber_by_address(project, email).await?
        {
            let token = store.confirm_token(&id, asked);
            store
                .confirm_subscription(&token, asked + SignedDuration::from_mins(20))
                .await?;
        }
    }
    Ok(format!(
        "Seeded the demo: {DEMO_REPORTS} reports over the last year, {published} published advisories, {scheduled} under embargo."
    ))
}

/// The demo's mail, taken as the email channel takes any message: one report by mail, and what
/// waits in screening (a vacation reply, a bounce, mail for an address no policy names). The
/// messages are fixed, so seeding again recognises them and stores nothing twice.
pub async fn seed_mail(app: &postern_app::App) -> anyhow::Result<String> {
    let project = app.projects().default_project();
    let Some(address) = postern_app::mail::project_addresses(project)
        .into_iter()
        .next()
    else {
        return Ok("The demo has no mail: the default policy names no email address.".into());
    };
    let domain = address
        .rsplit_once('@')
        .map_or("example.org", |(_, d)| d)
        .to_owned();
    let mail = |from: &str, to: &str, subject: &str, id: &str, headers: &str, body: &str| {
        format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\nDate: Mon, 30 Nov 2026 09:12:00 +0000\r\nMIME-Version: 1.0\r\n{headers}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        )
    };
    let messages = [
        mail(
            "Mina Okafor <mina@research.example.net>",
            &address,
            "Stored XSS in widget titles rendered on the dashboard",
            "demo-report-1@research.example.net",
            "",
            "Hello,\r\n\r\nA widget title containing <img src=x onerror=alert(document.domain)> is rendered unescaped on the dashboard of every user who can see the widget.\r\n\r\nSteps:\r\n1. Create a widget titled as above.\r\n2. Share it with a second account.\r\n3. Open the dashboard as the second account: the script runs.\r\n\r\nTested on 2.4.0. I am happy to be credited as Mina Okafor.\r\n\r\nMina",
        ),
        mail(
            "Ravi Shah <ravi@corp.example.com>",
            &address,
            "Automatic reply: Your security report",
            "demo-vacation-1@corp.example.com",
            "Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n",
            "I am out of the office until 7 December with limited access to email.",
        ),
        mail(
            "Mail Delivery System <MAILER-DAEMON@mx.example.net>",
            &address,
            "Undelivered Mail Returned to Sender",
            "demo-bounce-1@mx.example.net",
            "Auto-Submitted: auto-replied\r\n",
            "This is the mail system at host mx.example.net.\r\n\r\nI'm sorry to have to inform you that your message could not be delivered to one or more recipients.\r\n\r\n<old-address@example.net>: host mx.example.net said: 550 5.1.1 User unknown",
        ),
        mail(
            "Jordan Lee <jordan@example.org>",
            &format!("info@{domain}"),
            "Is the 1.x line still supported?",
            "demo-question-1@example.org",
            "",
            "Hi, we still run 1.9 in production. Will it get security fixes next year?\r\n\r\nThanks, Jordan",
        ),
    ];
    let mut taken = 0;
    for raw in &messages {
        if !matches!(
            app.ingest_mail(raw.as_bytes(), None).await?,
            postern_app::mail::Ingested::Again(_)
        ) {
            taken += 1;
        }
    }
    Ok(if taken == 0 {
        "The demo's mail is taken already.".into()
    } else {
        format!("Took the demo's mail: {taken} messages (one report, the rest in screening).")
    })
}

/// The demo's scanner findings: a small Trivy report of the default project's image, imported
/// as `postern scan import` would (importing it again at the next start changes nothing).
/// Gives every demo project an OpenPGP key (the same use case as `postern key openpgp generate`),
/// so that the demo's CSAF documents are signed and its provider is a trusted one. A real
/// instance makes its keys when its operator chooses to.
pub async fn seed_keys(app: &postern_app::App) -> anyhow::Result<String> {
    let operator = postern_app::Actor::operator("demo");
    let mut made = Vec::new();
    for project in app.projects().all() {
        if app.project_public_key(project.slug()).await?.is_none() {
            let key = app
                .generate_project_key(&operator, project.slug())
                .await
                .with_context(|| format!("cannot make the demo key of {}", project.slug()))?;
            made.push(format!("{} ({})", project.slug(), key.key.fingerprint));
        }
    }
    Ok(if made.is_empty() {
        "The demo's projects have OpenPGP keys already.".to_owned()
    } else {
        format!(
            "Made the demo's OpenPGP keys, which sign its CSAF advisories: {}.",
            made.join(", ")
        )
    })
}

pub async fn seed_scans(app: &postern_app::App) -> anyhow::Result<String> {
    let project = app.projects().default_project().slug().to_owned();
    let vulns = [
        (
            "CVE-2026-21001",
            "openssl",
            "3.0.11",
            "3.0.13",
            "CRITICAL",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ),
        (
            "CVE-2026-18890",
            "libxml2",
            "2.9.14",
            "2.9.16",
            "HIGH",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        ),
        (
            "GHSA-3xq2-9c4p-7m2w",
            "serde-yaml",
            "0.9.21",
            "0.9.34",
            "MEDIUM",
            "",
        ),
        ("CVE-2025-40012", "zlib", "1.2.13", "", "LOW", ""),
    ];
    let list: Vec<String> = vulns
        .iter()
        .map(|(id, package, installed, fixed, severity, vector)| {
            let cvss = if vector.is_empty() {
                String::new()
            } else {
                format!(r#", "CVSS": {{"nvd": {{"V3Vector": "{vector}"}}}}"#)
            };
            let title = if fixed.is_empty() {
                format!("{package}: a vulnerability with no fix yet")
            } else {
                format!("{package}: a vulnerability fixed in {fixed}")
            };
            format!(
                r#"{{"VulnerabilityID": "{id}", "PkgName": "{package}", "InstalledVersion": "{installed}", "FixedVersion": "{fixed}", "Severity": "{severity}", "Title": "{title}", "PrimaryURL": "https://osv.dev/vulnerability/{id}"{cvss}}}"#
            )
        })
        .collect();
    let report = format!(
        r#"{{"SchemaVersion": 2, "ArtifactName": "registry.example.org/{project}/web:2.4", "Results": [{{"Target": "registry.example.org/{project}/web:2.4 (debian 12.4)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [{}]}}]}}"#,
        list.join(",")
    );
    let actor = postern_app::Actor::operator("demo");
    let outcome = app
        .import_scan(&actor, &project, "web image", "2.4", report.as_bytes())
        .await?;
    Ok(format!(
        "Imported the demo's scan: {} findings ({} new).",
        outcome.counts.findings, outcome.counts.new
    ))
}

/// Applies one team action at a past moment, as the web pages and the terminal do.
async fn act(
    store: &Store,
    project: &Project,
    id: &ReportId,
    action: Action,
    message: Option<&str>,
    at: Timestamp,
) -> anyhow::Result<()> {
    let row = store.case_row(id).await?;
    let applied = apply(&row.case, &action, &project.policy, at)
        .map_err(|e| anyhow::anyhow!("demo report {id}: {e}"))?;
    store
        .record_case_change(id, row.version, &applied, message, "demo@example.org", at)
        .await?;
    Ok(())
}
