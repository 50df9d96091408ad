//! A report's history as people read it: the audit events about the report as sentences (who
//! did what, and when), with runs of views folded into one line ("viewed the report 5 times").
//!
//! The audit log itself stays as it is, every event kept and chained: this only reads it. Its
//! details are machine words (`closure=duplicate original=...`, `message=<id>`); here they become
//! words, and what only identifies a row (a message's or an attachment's id) is left out. An
//! event this version has no words for still appears, named by its action.

use jiff::Timestamp;

use crate::audit::AuditEvent;
use crate::clock::ClockKind;

/// Actions whose consecutive events fold into one entry: reading is not a change, and a page
/// opened twenty times is one fact about the report.
pub const FOLDED_ACTIONS: [&str; 2] = ["report.viewed", "contact.read"];

/// Most distinct people named in one folded entry; more are counted ("and 3 others").
pub const FOLDED_NAMES_MAX: usize = 3;

/// Something an entry refers to, for a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// Another report (the original of a duplicate), by id.
    Report(String),
    /// An advisory, by id.
    Advisory(String),
}

/// One line of a report's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Who, for people: an account, "The reporter", "Postern", or several names.
    pub who: String,
    /// What they did, as the rest of the sentence up to what it refers to (no full stop).
    pub what: String,
    /// When it (the first of a folded run) happened.
    pub first_at: Timestamp,
    /// When it (the last of a folded run) happened.
    pub at: Timestamp,
    /// How many audit events this entry stands for.
    pub events: usize,
    /// The report or advisory the sentence names, if any, after `what`.
    pub refers_to: Option<Ref>,
    /// The rest of the sentence after what it refers to (empty, or starting with a space or
    /// a comma).
    pub after: String,
}

impl Entry {
    /// The whole sentence, naming what it refers to by id.
    pub fn sentence(&self) -> String {
        let named = match &self.refers_to {
            Some(Ref::Report(id)) => format!(" report {id}"),
            Some(Ref::Advisory(id)) => format!(" {id}"),
            None => String::new(),
        };
        format!("{} {}{named}{}.", self.who, self.what, self.after)
    }
}

/// Who an audit actor is, for people.
pub fn who(actor: &str) -> String {
    match actor {
        "reporter" => "The reporter".to_owned(),
        "system" => "Postern".to_owned(),
        "mail" => "The security mailbox".to_owned(),
        other => other.to_owned(),
    }
}

/// A report's events (oldest first) as its history, oldest first; `time` writes a moment the
/// way the reader's page does (the policy's time zone).
pub fn history(events: &[AuditEvent], time: &dyn Fn(Timestamp) -> String) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut run: Option<(usize, Vec<String>)> = None;
    for (i, event) in events.iter().enumerate() {
        let folds = FOLDED_ACTIONS.contains(&event.action.as_str());
        let continues = folds
            && i > 0
            && events[i - 1].action == event.action
            && run
                .as_ref()
                .is_some_and(|(start, _)| entries.len() == *start + 1);
        if continues {
            let (_, actors) = run.as_mut().expect("a run is open");
            if !actors.contains(&event.actor) {
                actors.push(event.actor.clone());
            }
            let entry = entries.last_mut().expect("the run's entry");
            entry.events += 1;
            entry.at = event.at;
            entry.who = names(actors);
            entry.what = folded_what(&event.action, entry.events);
            continue;
        }
        run = folds.then(|| (entries.len(), vec![event.actor.clone()]));
        let (what, refers_to, after) = words(event, time);
        entries.push(Entry {
            who: who(&event.actor),
            what,
            first_at: event.at,
            at: event.at,
            events: 1,
            refers_to,
            after,
        });
    }
    entries
}

fn names(actors: &[String]) -> String {
    let mut names: Vec<String> = actors
        .iter()
        .take(FOLDED_NAMES_MAX)
        .map(|a| who(a))
        .collect();
    let others = actors.len().saturating_sub(FOLDED_NAMES_MAX);
    if others > 0 {
        names.push(format!(
            "{others} other{}",
            if others == 1 { "" } else { "s" }
        ));
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

fn folded_what(action: &str, times: usize) -> String {
    let base = match action {
        "report.viewed" => "viewed the report",
        _ => "read the reporter's address to mail them",
    };
    format!("{base} {times} times")
}

/// An event's detail as `key=value` pairs. Values run to the next ` key=`; a word that is not
/// `key=...` belongs to the value before it. A `reason`, which people write and is always
/// last, runs to the end whatever it holds.
pub fn detail_pairs(detail: &str) -> Vec<(&str, String)> {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for word in detail.split(' ') {
        let in_reason = pairs.last().is_some_and(|(k, _)| *k == "reason");
        let key = word.split_once('=').map(|(k, _)| k).filter(|k| {
            !in_reason && !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
        match (key, pairs.last_mut()) {
            (Some(key), _) => pairs.push((key, word[key.len() + 1..].to_owned())),
            (None, Some((_, value))) => {
                value.push(' ');
                value.push_str(word);
            }
            (None, None) => {}
        }
    }
    pairs
}

fn clock_words(name: &str) -> String {
    ClockKind::parse(name).map_or_else(
        || format!("the {name} deadline"),
        |kind| format!("the deadline to {}", kind.describe()),
    )
}

fn outcome_words(outcome: &str) -> &str {
    match outcome {
        "cancelled" => "no longer applies",
        other => other,
    }
}

fn closure_words(closure: &str) -> String {
    match closure {
        "out_of_scope" => "out of scope".into(),
        "duplicate" => "a duplicate".into(),
        "not_reproducible" => "not reproducible".into(),
        other => other.replace('_', " "),
    }
}

fn severity_words(get: &dyn Fn(&str) -> Option<String>) -> String {
    let mut text = get("severity").map_or_else(String::new, |s| capitalised(&s));
    if let Some(score) = get("cvss") {
        text.push_str(&format!(" (CVSS {score})"));
    }
    if let Some(reason) = get("reason") {
        text.push_str(&format!(", because {reason}"));
    }
    text
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn plural(n: &str, one: &str) -> String {
    if n == "1" {
        format!("an {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// The words of one event: the rest of its sentence, what it names, and the words after that.
fn words(event: &AuditEvent, time: &dyn Fn(Timestamp) -> String) -> (String, Option<Ref>, String) {
    let pairs = detail_pairs(&event.detail);
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let moment =
        |key: &str| get(key).map(|v| v.parse::<Timestamp>().map_or_else(|_| v.clone(), time));
    let advisory = || get("advisory").map(Ref::Advisory);
    let none = |what: String| (what, None);
    let (what, refers_to) = match event.action.as_str() {
        "report.received" => {
            // Postern's own channel is its form and the form's API alike.
            let mut what = match get("channel").as_deref() {
                Some("web-form") | None => "sent the report online".to_owned(),
                Some("email") => "sent the report by email".to_owned(),
                Some(other) => format!(
                    "sent the report through {} (recorded by the team)",
                    other.replace('-', " ")
                ),
            };
            if let Some(n) = get("attachments").filter(|n| n != "0") {
                what.push_str(&format!(", with {}", plural(&n, "attachment")));
            }
            none(what)
        }
        "report.viewed" => none("viewed the report".into()),
        "report.recorded" => none(match get("channel") {
            Some(channel) => format!(
                "recorded the report, received through {}",
                channel.replace('-', " ")
            ),
            None => "recorded the report".into(),
        }),
        "contact.read" => none("read the reporter's address to mail them".into()),
        "message.added" => none(match get("channel").as_deref() {
            Some("email") => "wrote to the team by email".into(),
            _ => "wrote to the team".into(),
        }),
        "attachment.added" => none(format!(
            "added {}",
            plural(
                &get("attachments").unwrap_or_else(|| "1".into()),
                "attachment"
            )
        )),
        "attachment.downloaded" => none("downloaded an attachment".into()),
        "note.added" => none("added an internal note".into()),
        "report.acknowledged" => none("acknowledged the report".into()),
        "report.accepted" => none(format!(
            "accepted the report as a vulnerability, rated {}",
            severity_words(&get)
        )),
        "report.rated" => none(format!("rated the report {}", severity_words(&get))),
        "report.closed" => {
            let closure = get("closure").unwrap_or_else(|| "closed".into());
            let mut what = format!("closed the report as {}", closure_words(&closure));
            if let Some(category) = get("category") {
                what.push_str(&format!(" ({category})"));
            }
            match get("original") {
                Some(original) => {
                    what.push_str(" of");
                    (what, Some(Ref::Report(original)))
                }
                None => none(what),
            }
        }
        "report.fixing" => none("started work on a fix".into()),
        "report.fixed" => none(match get("versions") {
            Some(v) => format!("marked the report fixed in {}", v.replace(',', ", ")),
            None => "marked the report fixed".into(),
        }),
        "report.disclosed" => none("marked the report disclosed".into()),
        "clock.paused" | "clock.resumed" => {
            let verb = if event.action == "clock.paused" {
                "paused"
            } else {
                "resumed"
            };
            let mut what = format!("{verb} {}", clock_words(&get("clock").unwrap_or_default()));
            if let Some(reason) = get("reason") {
                what.push_str(&format!(": {reason}"));
            }
            none(what)
        }
        "clock.extended" => {
            let mut what = format!(
                "gave {} more {}",
                get("by").unwrap_or_else(|| "time".into()),
                clock_words(&get("clock").unwrap_or_default()).replacen("the deadline to", "to", 1)
            );
            if let Some(due) = moment("due") {
                what.push_str(&format!(", until {due}"));
            }
            if let Some(reason) = get("reason") {
                what.push_str(&format!(": {reason}"));
            }
            none(what)
        }
        "clocks.settled" => {
            let settled: Vec<String> = pairs
                .iter()
                .map(|(kind, outcome)| {
                    format!(
                        "{} ({})",
                        ClockKind::parse(kind)
                            .map_or_else(|| (*kind).to_owned(), |k| k.describe().to_owned()),
                        outcome_words(outcome.trim())
                    )
                })
                .collect();
            none(format!(
                "settled the deadlines the report can no longer keep: {}",
                settled.join(", ")
            ))
        }
        "message.sent" => none(if get("plan").is_some() {
            "sent the reporter the detailed plan".into()
        } else {
            "wrote to the reporter".into()
        }),
        "reporter.notified" => none("told the reporter of news".into()),
        "advisory.saved" => ("saved the advisory".into(), advisory()),
        "advisory.scheduled" => {
            let after = moment("publish_at")
                .map(|at| format!(" to be published {at}"))
                .unwrap_or_default();
            return ("scheduled the advisory".into(), advisory(), after);
        }
        "advisory.published" => match get("early").as_deref() {
            Some("1") => (
                "published, before the date agreed with the reporter, the advisory".into(),
                advisory(),
            ),
            _ => ("published the advisory".into(), advisory()),
        },
        "report.assigned" => none(match get("assignee") {
            Some(to) => format!("assigned the report to {to}"),
            None => "took the report off its assignee's list".into(),
        }),
        "disclosure.requested" => none(match moment("asked_for") {
            Some(at) => format!("proposed {at} as the disclosure date"),
            None => "proposed a disclosure date".into(),
        }),
        "disclosure.accepted" | "disclosure.declined" => {
            let verb = if event.action == "disclosure.accepted" {
                "accepted"
            } else {
                "declined"
            };
            none(match moment("asked_for") {
                Some(at) => format!("{verb} {at} as the disclosure date"),
                None => format!("{verb} the proposed disclosure date"),
            })
        }
        "mail.received" => none("took a message about the report from the mailbox".into()),
        "mail.reported" => none("made a report of a message from the security mailbox".into()),
        other => none(other.replace(['.', '_'], " ")),
    };
    (what, refers_to, String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn event(seq: i64, when: &str, actor: &str, action: &str, detail: &str) -> AuditEvent {
        AuditEvent {
            seq,
            at: at(when),
            actor: actor.into(),
            action: action.into(),
            report_id: Some("r".into()),
            detail: detail.into(),
        }
    }

    fn plain(at: Timestamp) -> String {
        at.strftime("%Y-%m-%d %H:%M UTC").to_string()
    }

    #[test]
    fn events_read_as_sentences_without_machine_codes() {
        let events = [
            event(
                1,
                "2026-11-23T10:00:00Z",
                "reporter",
                "report.received",
                "project=acme attachments=2 channel=web-form",
            ),
            event(
                2,
                "2026-11-23T10:05:00Z",
                "reporter",
                "message.added",
                "message=lcbofcurpzzzzzzzzzzzzzzzzz",
            ),
            event(
                3,
                "2026-11-23T11:00:00Z",
                "alice@example.org",
                "report.accepted",
                "severity=critical cvss=9.8 vector=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H reason=chained with another bug",
            ),
            event(
                4,
                "2026-11-23T12:00:00Z",
                "alice@example.org",
                "clock.extended",
                "clock=fix by=3 days due=2026-12-03T11:00:00Z reason=upstream release train",
            ),
            event(
                5,
                "2026-11-24T09:00:00Z",
                "bob",
                "report.closed",
                "closure=duplicate original=abcdefghijklmnopqrstuvwxyz",
            ),
            event(
                6,
                "2026-11-25T09:00:00Z",
                "system",
                "clocks.settled",
                "plan=missed update=cancelled",
            ),
            event(
                7,
                "2026-11-25T09:00:00Z",
                "alice@example.org",
                "advisory.scheduled",
                "advisory=ACME-2026-0001 publish_at=2026-12-15T09:00:00Z",
            ),
            event(
                8,
                "2026-11-25T09:00:00Z",
                "alice@example.org",
                "widget.frobbed",
                "id=xyz",
            ),
        ];
        let sentences: Vec<String> = history(&events, &plain)
            .iter()
            .map(Entry::sentence)
            .collect();
        assert_eq!(
            sentences,
            [
                "The reporter sent the report online, with 2 attachments.",
                "The reporter wrote to the team.",
                "alice@example.org accepted the report as a vulnerability, rated Critical (CVSS 9.8), because chained with another bug.",
                "alice@example.org gave 3 days more to have a fix ready, until 2026-12-03 11:00 UTC: upstream release train.",
                "bob closed the report as a duplicate of report abcdefghijklmnopqrstuvwxyz.",
                "Postern settled the deadlines the report can no longer keep: send a detailed plan (missed), send the reporter an update (no longer applies).",
                "alice@example.org scheduled the advisory ACME-2026-0001 to be published 2026-12-15 09:00 UTC.",
                "alice@example.org widget frobbed.",
            ]
        );
        let entries = history(&events, &plain);
        assert_eq!(
            entries[4].refers_to,
            Some(Ref::Report("abcdefghijklmnopqrstuvwxyz".into()))
        );
        assert_eq!(
            entries[6].refers_to,
            Some(Ref::Advisory("ACME-2026-0001".into()))
        );
        for s in &sentences {
            assert!(!s.contains("message=") && !s.contains("lcbofcurp"), "{s}");
        }
    }

    #[test]
    fn consecutive_views_fold_into_one_line_and_every_event_is_counted() {
        let mut events = vec![event(
            1,
            "2026-11-23T10:00:00Z",
            "reporter",
            "report.received",
            "channel=api",
        )];
        for (i, who) in [
            "alice@example.org",
            "alice@example.org",
            "bob@example.org",
            "alice@example.org",
            "carol",
            "dan",
            "erin",
        ]
        .iter()
        .enumerate()
        {
            events.push(event(
                2 + i as i64,
                &format!("2026-11-23T1{i}:30:00Z"),
                who,
                "report.viewed",
                "",
            ));
        }
        events.push(event(
            20,
            "2026-11-24T08:00:00Z",
            "alice@example.org",
            "report.acknowledged",
            "",
        ));
        events.push(event(
            21,
            "2026-11-24T09:00:00Z",
            "alice@example.org",
            "report.viewed",
            "",
        ));
        let entries = history(&events, &plain);
        assert_eq!(entries.len(), 4);
        let folded = &entries[1];
        assert_eq!(
            folded.sentence(),
            "alice@example.org, bob@example.org, carol and 2 others viewed the report 7 times."
        );
        assert_eq!(folded.first_at, at("2026-11-23T10:30:00Z"));
        assert_eq!(folded.at, at("2026-11-23T16:30:00Z"));
        assert_eq!(
            entries[3].sentence(),
            "alice@example.org viewed the report."
        );
        assert_eq!(
            entries.iter().map(|e| e.events).sum::<usize>(),
            events.len(),
            "every event is in exactly one entry"
        );
        let two = history(&events[1..3], &plain);
        assert_eq!(
            two[0].sentence(),
            "alice@example.org viewed the report 2 times."
        );
    }

    #[test]
    fn details_split_at_keys_and_keep_spaces_in_values() {
        assert_eq!(
            detail_pairs("clock=plan by=2 weeks reason=waiting for x=y upstream"),
            vec![
                ("clock", "plan".to_owned()),
                ("by", "2 weeks".to_owned()),
                ("reason", "waiting for x=y upstream".to_owned()),
            ]
        );
        assert_eq!(detail_pairs(""), vec![]);
        assert_eq!(detail_pairs("plan=yes"), vec![("plan", "yes".to_owned())]);
    }
}
