//! The words of every mail Postern sends, from templates (`templates/mail/`): each notice has
//! a plain-text part and an HTML part with the same words, written side by side, so that the
//! wording is read and changed in one place and the HTML part is escaped by askama.
//!
//! A notice about a report never carries its contents: it says that something happened and
//! links to where a signed-in member (the team's report page) or the reporter (the tracking
//! page, with the case key they keep, which is never in mail or a URL) reads it. The one
//! exception is [`contents_notice`], sent only sealed (OpenPGP) to a member who set a key.

use askama::Template;
use jiff::Timestamp;
use postern_core::advisory::Advisory;
use postern_core::policy::Severity;
use postern_store::jobs::{
    DEADLINE_MISSED, DEADLINE_REMINDER, FINDINGS_DUE_SOON, FINDINGS_MISSED, FINDINGS_REOPENED,
    REPORTER_NOTICE, TEAM_NEW_REPORT, TEAM_REPORTER_MESSAGE,
};

/// One notice, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (the same words).
    pub html: String,
}

/// Where links in notices point.
#[derive(Debug, Clone)]
pub struct Links {
    /// The instance's public address, without a trailing slash.
    pub public_url: String,
}

/// Which notice about a report (the templates' `match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportNotice {
    /// To the team: a report was received.
    NewReportToTeam,
    /// To the team: the reporter wrote.
    ReporterMessageToTeam,
    /// To the reporter: their report was received.
    ReceiptToReporter,
    /// To the reporter: the team wrote or changed the case.
    NewsToReporter,
    /// To the team: a promise's limit is near.
    DeadlineNear,
    /// To the admins: a promise's limit has passed.
    DeadlineMissed,
}

impl ReportNotice {
    /// The notice a mail job names by its event, for a team member (`to_team`) or the
    /// reporter; `None` when that side is told nothing of the event.
    pub fn of(event: &str, to_team: bool) -> Option<ReportNotice> {
        Some(match (event, to_team) {
            (TEAM_NEW_REPORT, true) => ReportNotice::NewReportToTeam,
            (TEAM_REPORTER_MESSAGE, true) => ReportNotice::ReporterMessageToTeam,
            (TEAM_NEW_REPORT, false) => ReportNotice::ReceiptToReporter,
            (REPORTER_NOTICE, false) => ReportNotice::NewsToReporter,
            (DEADLINE_REMINDER, true) => ReportNotice::DeadlineNear,
            (DEADLINE_MISSED, true) => ReportNotice::DeadlineMissed,
            _ => return None,
        })
    }

    fn to_reporter(self) -> bool {
        matches!(
            self,
            ReportNotice::ReceiptToReporter | ReportNotice::NewsToReporter
        )
    }
}

#[derive(Template)]
#[template(path = "mail/report.txt")]
struct ReportText<'a> {
    notice: ReportNotice,
    project: &'a str,
    report_id: &'a str,
    note: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/report.html")]
struct ReportHtml<'a> {
    notice: ReportNotice,
    project: &'a str,
    report_id: &'a str,
    note: &'a str,
    link: &'a str,
}

/// A mail of a conversation with a reporter who wrote by mail. Unlike a notice, it carries
/// what the team wrote: mail is the channel the reporter chose, and it goes only to the address
/// the report came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conversation {
    /// The receipt: when the report was received and what the policy promises, by when.
    Receipt {
        /// When it was received, as the reporter reads it.
        received: String,
        /// (what, "by" when, or the words of a promise with no set time) for each promise that
        /// concerns the reporter.
        deadlines: Vec<(String, String)>,
    },
    /// The team's messages, in order.
    News {
        /// Their texts.
        messages: Vec<String>,
    },
    /// The answer to a message filed as not a security report.
    NotASecurityReport,
}

#[derive(Template)]
#[template(path = "mail/conversation.txt")]
struct ConversationText<'a> {
    conversation: &'a Conversation,
    project: &'a str,
    report_id: &'a str,
    policy_link: &'a str,
}

/// The plain text of a conversation's mail.
pub fn conversation_text(
    conversation: &Conversation,
    project: &str,
    report_id: &str,
    links: &Links,
    slug: &str,
) -> Result<String, askama::Error> {
    let policy_link = format!("{}/projects/{slug}/security-policy", links.public_url);
    Ok(ConversationText {
        conversation,
        project,
        report_id,
        policy_link: &policy_link,
    }
    .render()?
        + "\n")
}

/// What a sealed notice to a member carries of a report (`mail/contents.txt`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// (label, value) of the report's fields, for a new report.
    pub fields: Vec<(String, String)>,
    /// The reporter's new messages, for a message.
    pub messages: Vec<String>,
    /// The names of the report's files (the files themselves stay on the report page).
    pub attachments: Vec<String>,
}

#[derive(Template)]
#[template(path = "mail/contents.txt")]
struct ContentsText<'a> {
    notice: ReportNotice,
    project: &'a str,
    report_id: &'a str,
    fields: &'a [(String, String)],
    messages: &'a [String],
    attachments: &'a [String],
    link: &'a str,
    fingerprint: &'a str,
}

/// A notice to a member that carries the report's contents: only ever sent encrypted to the
/// member's key (`fingerprint`, as shown in the text). Plain text: it travels inside the
/// encryption, where an HTML part would add nothing.
pub fn contents_notice(
    notice: ReportNotice,
    project: &str,
    report_id: &str,
    contents: &Contents,
    links: &Links,
    fingerprint: &str,
) -> Result<Notice, askama::Error> {
    let link = format!("{}/team/reports/{report_id}", links.public_url);
    let text = ContentsText {
        notice,
        project,
        report_id,
        fields: &contents.fields,
        messages: &contents.messages,
        attachments: &contents.attachments,
        link: &link,
        fingerprint,
    }
    .render()?
        + "\n";
    Ok(Notice {
        subject: report_notice(notice, "", project, report_id, links)?.subject,
        html: String::new(),
        text,
    })
}

/// Renders both parts; a template of plain fields cannot fail to render, but if it did, the
/// job would fail and be retried rather than send an empty mail.
fn parts(text: &impl Template, html: &impl Template) -> Result<(String, String), askama::Error> {
    Ok((text.render()? + "\n", html.render()? + "\n"))
}

/// The notice about a report: only the project's name, the report's id (to the team) and a
/// link; `note` (reminders only) names a promise and its limit.
pub fn report_notice(
    notice: ReportNotice,
    note: &str,
    project: &str,
    report_id: &str,
    links: &Links,
) -> Result<Notice, askama::Error> {
    let link = if notice.to_reporter() {
        format!("{}/track", links.public_url)
    } else {
        format!("{}/team/reports/{report_id}", links.public_url)
    };
    let subject = match notice {
        ReportNotice::NewReportToTeam => {
            format!("[{project}] New vulnerability report {report_id}")
        }
        ReportNotice::ReporterMessageToTeam => {
            format!("[{project}] The reporter of {report_id} wrote to you")
        }
        ReportNotice::ReceiptToReporter => {
            format!("[{project}] Your vulnerability report was received")
        }
        ReportNotice::NewsToReporter => format!("[{project}] News about your vulnerability report"),
        ReportNotice::DeadlineNear => format!("[{project}] Deadline near on report {report_id}"),
        ReportNotice::DeadlineMissed => {
            format!("[{project}] Deadline missed on report {report_id}")
        }
    };
    let (text, html) = parts(
        &ReportText {
            notice,
            project,
            report_id,
            note,
            link: &link,
        },
        &ReportHtml {
            notice,
            project,
            report_id,
            note,
            link: &link,
        },
    )?;
    Ok(Notice {
        subject,
        text,
        html,
    })
}

/// Which notice about a project's findings (the templates' `match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingsNotice {
    /// To the team: fix deadlines are near.
    DueSoon,
    /// To the admins: fix deadlines passed.
    Missed,
    /// To the team: accepted risks expired, the findings are open again.
    Reopened,
}

impl FindingsNotice {
    /// The notice a findings mail names by its event; `None` for an event of a newer version.
    pub fn of(event: &str) -> Option<FindingsNotice> {
        Some(match event {
            FINDINGS_DUE_SOON => FindingsNotice::DueSoon,
            FINDINGS_MISSED => FindingsNotice::Missed,
            FINDINGS_REOPENED => FindingsNotice::Reopened,
            _ => return None,
        })
    }
}

#[derive(Template)]
#[template(path = "mail/findings.txt")]
struct FindingsText<'a> {
    notice: FindingsNotice,
    note: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/findings.html")]
struct FindingsHtml<'a> {
    notice: FindingsNotice,
    note: &'a str,
    link: &'a str,
}

/// A notice about a project's findings, to a team member: `note` (counts by severity and the
/// first deadline, from the use case) and a link to the project's findings (the overdue ones
/// for a missed deadline).
pub fn findings_notice(
    notice: FindingsNotice,
    note: &str,
    project: &str,
    slug: &str,
    links: &Links,
) -> Result<Notice, askama::Error> {
    let overdue = if notice == FindingsNotice::Missed {
        "&overdue=1"
    } else {
        ""
    };
    let link = format!("{}/team/findings?project={slug}{overdue}", links.public_url);
    let subject = match notice {
        FindingsNotice::DueSoon => format!("[{project}] Fix deadlines near on findings"),
        FindingsNotice::Missed => format!("[{project}] Fix deadlines missed on findings"),
        FindingsNotice::Reopened => {
            format!("[{project}] Accepted risks expired: findings open again")
        }
    };
    let (text, html) = parts(
        &FindingsText {
            notice,
            note,
            link: &link,
        },
        &FindingsHtml {
            notice,
            note,
            link: &link,
        },
    )?;
    Ok(Notice {
        subject,
        text,
        html,
    })
}

#[derive(Template)]
#[template(path = "mail/confirm.txt")]
struct ConfirmText<'a> {
    project: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/confirm.html")]
struct ConfirmHtml<'a> {
    project: &'a str,
    link: &'a str,
}

/// "Confirm your subscription": the link opens a page whose button confirms.
pub fn confirm_notice(project: &str, link: &str) -> Result<Notice, askama::Error> {
    let (text, html) = parts(
        &ConfirmText { project, link },
        &ConfirmHtml { project, link },
    )?;
    Ok(Notice {
        subject: format!("[{project}] Confirm your subscription to security advisories"),
        text,
        html,
    })
}

/// What the checkpoint mail says, shared by its two parts.
struct CheckpointWords<'a> {
    project: &'a str,
    events: u64,
    at: String,
    head: String,
    json: String,
    link: String,
}

#[derive(Template)]
#[template(path = "mail/checkpoint.txt")]
struct CheckpointText<'a> {
    c: &'a CheckpointWords<'a>,
}

#[derive(Template)]
#[template(path = "mail/checkpoint.html")]
struct CheckpointHtml<'a> {
    c: &'a CheckpointWords<'a>,
}

/// The day's audit checkpoint, to an admin: the count, the head hash, the JSON that
/// `postern audit verify --checkpoint` reads, and where the current one is served.
pub fn checkpoint_notice(
    project: &str,
    checkpoint: &postern_core::audit::Checkpoint,
    base: &str,
) -> Result<Notice, askama::Error> {
    let c = CheckpointWords {
        project,
        events: checkpoint.events,
        at: checkpoint.at.to_string(),
        head: data_encoding::HEXLOWER.encode(&checkpoint.head),
        json: checkpoint.to_json(),
        link: format!("{base}/audit/checkpoint"),
    };
    let (text, html) = parts(&CheckpointText { c: &c }, &CheckpointHtml { c: &c })?;
    Ok(Notice {
        subject: format!(
            "[{project}] Audit checkpoint: {} event(s), {}",
            checkpoint.events,
            checkpoint.at.strftime("%Y-%m-%d")
        ),
        text,
        html,
    })
}

fn severity(advisory: &Advisory) -> &'static str {
    advisory.severity.map_or("not rated", Severity::title)
}

#[derive(Template)]
#[template(path = "mail/advisory.txt")]
struct AdvisoryText<'a> {
    project: &'a str,
    id: &'a str,
    title: &'a str,
    severity: &'a str,
    summary: &'a str,
    link: &'a str,
    unsubscribe: &'a str,
}

#[derive(Template)]
#[template(path = "mail/advisory.html")]
struct AdvisoryHtml<'a> {
    project: &'a str,
    id: &'a str,
    title: &'a str,
    severity: &'a str,
    summary: &'a str,
    link: &'a str,
    unsubscribe: &'a str,
}

/// A published advisory, to a subscriber: published data only, and the unsubscribe link.
pub fn advisory_notice(
    project: &str,
    advisory: &Advisory,
    base: &str,
    unsubscribe: &str,
) -> Result<Notice, askama::Error> {
    let id = advisory.id.to_string();
    let link = format!("{base}/advisories/{id}");
    let (text, html) = parts(
        &AdvisoryText {
            project,
            id: &id,
            title: &advisory.title,
            severity: severity(advisory),
            summary: &advisory.summary,
            link: &link,
            unsubscribe,
        },
        &AdvisoryHtml {
            project,
            id: &id,
            title: &advisory.title,
            severity: severity(advisory),
            summary: &advisory.summary,
            link: &link,
            unsubscribe,
        },
    )?;
    Ok(Notice {
        subject: format!(
            "[{project}] Security advisory {id}: {} ({})",
            advisory.title,
            severity(advisory)
        ),
        text,
        html,
    })
}

/// Affected and fixed versions, one line per package.
fn versions(advisory: &Advisory) -> (Vec<String>, Vec<String>) {
    let mut affected = Vec::new();
    let mut fixed = Vec::new();
    for p in &advisory.affected {
        let mut ranges: Vec<String> = p
            .ranges
            .iter()
            .map(|r| match (&r.fixed, &r.last_affected) {
                (Some(f), _) if r.introduced == "0" => format!("< {f}"),
                (Some(f), _) => format!(">= {}, < {f}", r.introduced),
                (None, Some(l)) if r.introduced == "0" => format!("<= {l}"),
                (None, Some(l)) => format!(">= {}, <= {l}", r.introduced),
                (None, None) => format!(">= {}", r.introduced),
            })
            .collect();
        ranges.extend(p.versions.iter().cloned());
        affected.push(format!(
            "{} ({}): {}",
            p.package,
            p.ecosystem,
            ranges.join("; ")
        ));
        let fixes: Vec<&str> = p.ranges.iter().filter_map(|r| r.fixed.as_deref()).collect();
        fixed.push(format!(
            "{} ({}): {}",
            p.package,
            p.ecosystem,
            if fixes.is_empty() {
                "no fix yet".to_owned()
            } else {
                fixes.join(", ")
            }
        ));
    }
    (affected, fixed)
}

#[derive(Template)]
#[template(path = "mail/early_access.txt")]
struct EarlyAccessText<'a> {
    project: &'a str,
    name: Option<&'a str>,
    until: &'a str,
    id: &'a str,
    title: &'a str,
    severity: &'a str,
    summary: &'a str,
    affected: &'a [String],
    fixed: &'a [String],
}

#[derive(Template)]
#[template(path = "mail/early_access.html")]
struct EarlyAccessHtml<'a> {
    project: &'a str,
    name: Option<&'a str>,
    until: &'a str,
    id: &'a str,
    title: &'a str,
    severity: &'a str,
    summary: &'a str,
    affected: &'a [String],
    fixed: &'a [String],
}

/// An embargoed advisory, to the early-access list, before its publication. It says
/// "EMBARGOED until ..." in its subject and first line.
pub fn early_access_notice(
    project: &str,
    advisory: &Advisory,
    publish_at: Timestamp,
    name: Option<&str>,
) -> Result<Notice, askama::Error> {
    let until = publish_at.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let (affected, fixed) = versions(advisory);
    let id = advisory.id.to_string();
    let (text, html) = parts(
        &EarlyAccessText {
            project,
            name,
            until: &until,
            id: &id,
            title: &advisory.title,
            severity: severity(advisory),
            summary: &advisory.summary,
            affected: &affected,
            fixed: &fixed,
        },
        &EarlyAccessHtml {
            project,
            name,
            until: &until,
            id: &id,
            title: &advisory.title,
            severity: severity(advisory),
            summary: &advisory.summary,
            affected: &affected,
            fixed: &fixed,
        },
    )?;
    Ok(Notice {
        subject: format!(
            "[{project}] EMBARGOED until {until}: {id} {}",
            advisory.title
        ),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> Links {
        Links {
            public_url: "https://security.example.org".into(),
        }
    }

    /// The HTML part's words: tags dropped, entities read, blank space collapsed.
    fn words_of_html(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => {
                    in_tag = true;
                    out.push(' ');
                }
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        let out = out
            .replace("&#60;", "<")
            .replace("&#62;", ">")
            .replace("&#34;", "\"")
            .replace("&#39;", "'")
            .replace("&#38;", "&");
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn words_of_text(text: &str) -> String {
        text.replace("\n-- \n", "\n")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn report_notices_read_as_before_and_carry_no_contents() {
        let team = report_notice(
            ReportNotice::NewReportToTeam,
            "",
            "A&B <x>",
            "R123",
            &links(),
        )
        .unwrap();
        assert_eq!(team.subject, "[A&B <x>] New vulnerability report R123");
        assert_eq!(
            team.text,
            "A new vulnerability report was received for A&B <x>.\n\nSign in to read it and respond:\nhttps://security.example.org/team/reports/R123\n\n-- \nThis notice carries none of the report's contents. It was sent automatically by Postern.\n"
        );
        assert!(team.html.contains("A&#38;B &#60;x&#62;"), "{}", team.html);
        assert!(
            team.html.contains(
                "<a href=\"https://security.example.org/team/reports/R123\">https://security.example.org/team/reports/R123</a>"
            ),
            "{}",
            team.html
        );
        let reporter =
            report_notice(ReportNotice::NewsToReporter, "", "Acme", "R123", &links()).unwrap();
        assert!(
            reporter
                .text
                .contains("https://security.example.org/track\n")
        );
        assert!(!reporter.text.contains("R123") && !reporter.text.contains("/team/"));
        assert!(!reporter.html.contains("R123") && !reporter.html.contains("/team/"));
        assert_eq!(ReportNotice::of(REPORTER_NOTICE, true), None);
        assert_eq!(ReportNotice::of(TEAM_REPORTER_MESSAGE, false), None);
        let missed = report_notice(
            ReportNotice::DeadlineMissed,
            "the promise to fix (30 days) was due by 2026-12-01 10:00 UTC and has been missed.",
            "Acme",
            "R123",
            &links(),
        )
        .unwrap();
        assert_eq!(missed.subject, "[Acme] Deadline missed on report R123");
        assert!(
            missed
                .text
                .starts_with("Report R123 (Acme): the promise to fix")
        );
    }

    #[test]
    fn both_parts_of_every_notice_say_the_same_words() {
        for notice in [
            ReportNotice::NewReportToTeam,
            ReportNotice::ReporterMessageToTeam,
            ReportNotice::ReceiptToReporter,
            ReportNotice::NewsToReporter,
            ReportNotice::DeadlineNear,
            ReportNotice::DeadlineMissed,
        ] {
            let n = report_notice(notice, "a note", "Acme's <b>", "R1", &links()).unwrap();
            assert_eq!(words_of_html(&n.html), words_of_text(&n.text), "{notice:?}");
        }
        let confirm = confirm_notice("Acme", "https://security.example.org/c/t").unwrap();
        assert_eq!(words_of_html(&confirm.html), words_of_text(&confirm.text));
    }

    fn advisory() -> Advisory {
        use postern_core::advisory::{AdvisoryId, Affected, VersionRange};
        Advisory {
            id: AdvisoryId::new("PSA", 2026, 1),
            project: "acme".into(),
            title: "Template injection <in> render".into(),
            summary: "Line one & more.\nLine two.".into(),
            details: String::new(),
            severity: Some(Severity::High),
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![Affected {
                ecosystem: "crates.io".into(),
                package: "acme-server".into(),
                ranges: vec![VersionRange {
                    introduced: "0".into(),
                    fixed: Some("1.2.3".into()),
                    last_affected: None,
                }],
                versions: Vec::new(),
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: "2026-11-23T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_receipt_by_mail_gives_each_promise_its_time_or_the_policy_s_words() {
        let receipt = Conversation::Receipt {
            received: "2026-11-23 11:00 CET".into(),
            deadlines: vec![
                (
                    "acknowledge your report".into(),
                    "within a reasonable time".into(),
                ),
                (
                    "give an initial assessment".into(),
                    "by 2026-11-26 11:00 CET".into(),
                ),
            ],
        };
        let text = conversation_text(&receipt, "Acme", "abc", &links(), "acme").unwrap();
        assert!(
            text.contains("promises you:\n- to acknowledge your report within a reasonable time\n- to give an initial assessment by 2026-11-26 11:00 CET\n"),
            "{text}"
        );
    }

    #[test]
    fn list_notices_read_as_before_in_both_parts() {
        let a = advisory();
        let id = a.id.to_string();
        let n = advisory_notice(
            "Acme",
            &a,
            "https://security.example.org",
            "https://security.example.org/unsubscribe/t",
        )
        .unwrap();
        assert_eq!(
            n.text,
            format!(
                "{id}: Template injection <in> render\n\nSeverity: High\n\nLine one & more.\nLine two.\n\nRead the advisory:\n\nhttps://security.example.org/advisories/{id}\n\n-- \nYou get this mail because you subscribed to the security advisories of Acme.\nUnsubscribe: https://security.example.org/unsubscribe/t\n"
            )
        );
        assert!(
            n.html.contains("Template injection &#60;in&#62; render"),
            "{}",
            n.html
        );
        assert_eq!(words_of_html(&n.html), words_of_text(&n.text));
        let at: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let e = early_access_notice("Acme", &a, at, Some("Debian")).unwrap();
        assert_eq!(
            e.subject,
            format!(
                "[Acme] EMBARGOED until 2026-12-01 10:00 UTC: {id} Template injection <in> render"
            )
        );
        assert!(
            e.text
                .starts_with("EMBARGOED until 2026-12-01 10:00 UTC. This advisory is not public.")
        );
        assert!(
            e.text.contains("\n\nDebian: you receive it early"),
            "{}",
            e.text
        );
        assert!(
            e.text.contains(
                "\n\nAffected versions:\nacme-server (crates.io): < 1.2.3\n\nFixed versions:\nacme-server (crates.io): 1.2.3\n\nPlanned publication: 2026-12-01 10:00 UTC\n\n-- \n"
            ),
            "{}",
            e.text
        );
        assert_eq!(words_of_html(&e.html), words_of_text(&e.text));
        let mut bare = a.clone();
        bare.affected.clear();
        let e = early_access_notice("Acme", &bare, at, None).unwrap();
        assert!(
            e.text.contains(
                "\n\nAffected versions:\nnone listed\n\nFixed versions:\nnone listed\n\n"
            ),
            "{}",
            e.text
        );
        assert!(e.text.contains("\n\nyou receive it early"), "{}", e.text);
    }
}

#[cfg(test)]
mod checkpoint_tests {
    #[test]
    fn the_checkpoint_mail_carries_the_json_that_verify_reads() {
        let checkpoint = postern_core::audit::Checkpoint {
            events: 42,
            head: [0xab; 32],
            at: "2026-11-23T10:00:00Z".parse().unwrap(),
        };
        let notice =
            super::checkpoint_notice("Acme", &checkpoint, "https://sec.example.org").unwrap();
        assert_eq!(
            notice.subject,
            "[Acme] Audit checkpoint: 42 event(s), 2026-11-23"
        );
        let json_line = notice
            .text
            .lines()
            .find(|l| l.starts_with('{'))
            .expect("the checkpoint's JSON on a line of its own");
        assert_eq!(
            postern_core::audit::Checkpoint::from_json(json_line),
            Ok(checkpoint)
        );
        assert!(notice.text.contains(&"ab".repeat(32)));
        assert!(
            notice
                .text
                .contains("https://sec.example.org/audit/checkpoint")
        );
        // The HTML part escapes the JSON's quotes and still shows it.
        assert!(
            notice.html.contains("&quot;events&quot;:42")
                || notice.html.contains("&#34;events&#34;:42"),
            "{}",
            notice.html
        );
    }
}
