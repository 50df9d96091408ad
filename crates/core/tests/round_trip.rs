//! The round trip from policy to SECURITY.md and back: for each example policy, every sentence
//! of the rendering that makes a promise (a time, or a word such as "will", "within",
//! "promise", "credit", "disclose", "commit", "publish") is traced to the key of the policy
//! that produced it, or to the author's own words. A sentence that no key explains is text the
//! author never wrote, and fails the test.
//!
//! The tracing is written here from the policy's values, apart from the renderer: each rule
//! says which key a template sentence stands for and the words that key puts into it; what is
//! left of a sentence once those words (and the author's) are taken out must promise nothing.

use std::collections::BTreeMap;

use jiff::Timestamp;
use postern_core::policy::{Expiry, Policy, Promise, Start, Within};
use postern_core::render::{RenderContext, expires_at, security_md};

fn now() -> Timestamp {
    "2026-11-23T15:30:00Z".parse().unwrap()
}

/// The example policies, by file name.
fn examples() -> BTreeMap<String, Policy> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/policies");
    std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .map(|p| {
            let checked = postern_core::policy::parse(&std::fs::read(&p).unwrap(), now());
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, checked.policy.expect("valid"))
        })
        .collect()
}

/// Markdown as read: links and addresses as their text, no emphasis or code marks, one line,
/// no full stop at the end.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    // [text](address) -> text
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(close) = rest[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..mid]);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    let out = out.replace("**", "").replace(['`', '<', '>'], "");
    out.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches('.')
        .to_owned()
}

/// Words that commit the project to something.
const COMMITMENTS: [&str; 17] = [
    "will",
    "within",
    "promise",
    "promises",
    "promised",
    "credit",
    "credits",
    "credited",
    "disclose",
    "discloses",
    "disclosed",
    "commit",
    "commits",
    "guarantee",
    "guarantees",
    "publish",
    "publishes",
];

/// Units that make a number a time.
const UNITS: [&str; 11] = [
    "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year", "years", "business",
];

/// Whether a text makes a promise: a commitment word, a time ("48 hours", "1-2 weeks") or a
/// date (2026-12-25).
fn promises_something(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let number = |w: &str| {
        !w.is_empty()
            && w.split('-')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    };
    let date = |w: &str| {
        let b = w.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && w.chars().filter(char::is_ascii_digit).count() == 8
    };
    words
        .iter()
        .any(|w| COMMITMENTS.contains(&w.as_str()) || date(w))
        || words
            .windows(2)
            .any(|p| number(&p[0]) && UNITS.contains(&p[1].as_str()))
}

/// The sentences of a rendering: each line outside code blocks (a heading, a list item, a
/// table row), paragraphs cut at their full stops, list markers taken off. A list item after a
/// line that promises and ends in a colon ("After we receive your report, we will:") carries
/// that promise: it is `true` beside it.
fn sentences(md: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut lead = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code || line.trim().is_empty() || line.starts_with("| -") {
            continue;
        }
        let line = line.trim_start_matches(['#', ' ']);
        let (line, item) = match line.strip_prefix("- ") {
            Some(rest) => (rest, true),
            None => match line.split_once(". ") {
                Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                    (rest, true)
                }
                _ => (line, false),
            },
        };
        let inherited = item && lead;
        if !item {
            lead = line.trim_end().ends_with(':') && promises_something(line);
        }
        if line.starts_with('|') {
            out.push((plain(line), false));
            continue;
        }
        for sentence in line.split_inclusive(['.', '!', '?']) {
            let sentence = plain(sentence);
            if !sentence.is_empty() {
                out.push((sentence, inherited));
            }
        }
    }
    out
}

/// The author's own words, each with the key that holds them.
fn authored(policy: &Policy) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |key: String, text: &str| {
        let text = plain(text);
        if !text.is_empty() {
            out.push((key, text));
        }
    };
    if let Some(d) = &policy.project.description {
        add("project.description".into(), d);
    }
    for (i, s) in policy.sections.iter().enumerate() {
        add(format!("sections[{i}].title"), &s.title);
        add(format!("sections[{i}].body"), &s.body);
    }
    if let Some(t) = &policy.terms.safe_harbour {
        add("policy.safe_harbour".into(), t);
    }
    if let Some(r) = &policy.disclosure.request {
        add("disclosure.request".into(), r);
    }
    for (i, a) in policy.disclosure.advisories.iter().enumerate() {
        add(format!("disclosure.advisories[{i}]"), a);
    }
    for (i, c) in policy.channels.iter().enumerate() {
        for (what, text) in [
            ("note", &c.note),
            ("label", &c.label),
            ("handle", &c.handle),
        ] {
            if let Some(text) = text {
                add(format!("channels[{i}].{what}"), text);
            }
        }
    }
    for (i, f) in policy.form.fields.iter().enumerate() {
        add(format!("form.fields[{i}].label"), &f.label);
        if let Some(h) = &f.help {
            add(format!("form.fields[{i}].help"), h);
        }
    }
    for (i, p) in policy.response.promises.iter().enumerate() {
        add(format!("response.promises[{i}]"), p);
    }
    for (i, v) in policy.supported_versions.iter().enumerate() {
        add(format!("supported_versions[{i}].versions"), &v.versions);
        if let Some(n) = &v.note {
            add(format!("supported_versions[{i}].note"), n);
        }
    }
    for (side, items) in [
        ("in", &policy.scope.in_scope),
        ("out", &policy.scope.out_of_scope),
    ] {
        for (i, item) in items.iter().enumerate() {
            add(format!("scope.{side}[{i}].title"), &item.title);
            if let Some(e) = &item.explanation {
                add(format!("scope.{side}[{i}].explanation"), e);
            }
        }
    }
    for (i, c) in policy.updates.channels.iter().enumerate() {
        if let Some(l) = &c.label {
            add(format!("updates.channels[{i}].label"), l);
        }
    }
    if let Some(e) = &policy.updates.early_access {
        for (i, who) in e.who.iter().enumerate() {
            add(format!("updates.early_access.who[{i}]"), who);
        }
    }
    out
}

/// A template sentence the renderer makes from a key: the key, and the words it must contain
/// (alternatives separated by `|`, the first found is taken out).
struct Rule {
    key: String,
    needles: Vec<String>,
}

fn rule(key: impl Into<String>, needles: &[String]) -> Rule {
    Rule {
        key: key.into(),
        needles: needles.to_vec(),
    }
}

/// How a promise's time reads in a sentence of the response list, and its key's value.
fn promise_words(p: &Promise) -> (Vec<String>, String) {
    let (mut words, value) = time_words(p);
    match p.starts {
        Start::Receipt => {}
        Start::Acknowledgement => words.push(
            "of acknowledging your report|after acknowledging your report|from when we acknowledge your report".into(),
        ),
        Start::Triage => words.push(
            "of confirming the vulnerability|after confirming the vulnerability|from when we confirm the vulnerability".into(),
        ),
    }
    (words, value)
}

fn time_words(p: &Promise) -> (Vec<String>, String) {
    match &p.within {
        Within::Time(t) => {
            let mut words = vec![format!("within {}", t.limit)];
            if t.is_range() {
                words.push(format!("aiming for {}", t.target));
            }
            (words, format!("\"{t}\""))
        }
        Within::Untimed(Some(said)) => (vec![plain(said)], format!("untimed: \"{said}\"")),
        Within::Untimed(None) => (Vec::new(), "untimed".into()),
    }
}

/// Every template sentence the policy's keys stand for.
fn rules(policy: &Policy) -> Vec<Rule> {
    let s = |t: &str| t.to_owned();
    let r = &policy.response;
    let mut out = Vec::new();
    let responds = r.acknowledge.is_some()
        || r.assess.is_some()
        || r.plan.is_some()
        || r.update_interval.is_some()
        || !r.promises.is_empty()
        || !policy.severity.is_empty();
    let d = &policy.disclosure;
    let discloses = d.coordinated.is_some()
        || d.default_embargo.is_some()
        || d.max_embargo.is_some()
        || d.reporter_timeline == Some(true)
        || !d.advisories.is_empty();
    // The opening sentence says only what the policy goes on to say.
    let mut opening = vec![s(
        "This policy says how to report a vulnerability privately",
    )];
    if responds {
        opening.push(s("what we promise in return"));
    }
    match (discloses, policy.credit.offered) {
        (true, true) => opening.push(s("how we disclose and credit fixes")),
        (true, false) => opening.push(s("how we disclose fixes")),
        (false, true) => opening.push(s("how we credit reporters")),
        (false, false) => {}
    }
    out.push(rule("project (the sections the policy fills)", &opening));
    if responds {
        out.push(rule(
            "response",
            &[s("After we receive your report, we will")],
        ));
    }
    for (name, opening, promise) in [
        (
            "acknowledge",
            "Acknowledge receipt of your report",
            &r.acknowledge,
        ),
        ("assess", "Give an initial assessment", &r.assess),
        ("plan", "Send a detailed response with our plan", &r.plan),
    ] {
        if let Some(p) = promise {
            let (mut words, value) = promise_words(p);
            words.insert(0, s(opening));
            out.push(rule(format!("response.{name} = {value}"), &words));
        }
    }
    if let Some(p) = &r.update_interval {
        let (mut words, value) = promise_words(p);
        if let Within::Time(t) = &p.within {
            words[0] = format!("at least every {}", t.limit);
        }
        words.insert(0, s("Keep you updated on our progress"));
        out.push(rule(format!("response.update_interval = {value}"), &words));
    }
    if policy.uses_business_days() {
        let mut words = vec![format!(
            "Business days are Monday to Friday in the {} time zone",
            r.time_zone
        )];
        words.extend(r.holidays.iter().map(|h| h.to_string()));
        out.push(rule("response.time_zone, response.holidays", &words));
    }
    if !policy.severity.is_empty() {
        out.push(rule(
            "severity",
            &[s("Once we have confirmed a vulnerability and rated its severity, we commit to these deadlines")],
        ));
        out.push(rule(
            "severity (the table's columns)",
            &[
                s("| Severity |"),
                s("Fixed within|Fixed"),
                s("Fix released within|Fix released|"),
                s("Disclosed within|Disclosed|"),
            ],
        ));
        for row in &policy.severity {
            let mut words = vec![format!("| {} |", row.severity.title())];
            let mut values = Vec::new();
            for (what, p) in [
                ("fix", &row.fix),
                ("release", &row.release),
                ("disclose", &row.disclose),
            ] {
                let Some(p) = p else { continue };
                match &p.within {
                    Within::Time(t) => {
                        words.push(format!("within {t}|{t}"));
                        values.push(format!("{what} = \"{t}\""));
                    }
                    Within::Untimed(said) => {
                        words.push(said.as_deref().map_or(s("no set time"), plain));
                        values.push(format!("{what} untimed"));
                    }
                }
                if p.starts != Start::Triage {
                    words.push(format!(
                        "from {}|(from {})",
                        p.starts.name(),
                        p.starts.name()
                    ));
                }
            }
            out.push(rule(
                format!(
                    "severity.{} ({})",
                    row.severity.title().to_lowercase(),
                    values.join(", ")
                ),
                &words,
            ));
        }
        let ranges = policy
            .severity
            .iter()
            .flat_map(|row| [&row.fix, &row.release, &row.disclose])
            .flatten()
            .filter_map(Promise::time)
            .any(|t| t.is_range());
        if ranges {
            out.push(rule(
                "severity (a deadline written as a range)",
                &[s("Where a deadline is a range, we aim for the shorter time and promise the longer one")],
            ));
        }
    }
    let mut embargo = Vec::new();
    if let Some(e) = d.default_embargo {
        embargo.push(format!("the embargo lasts {e}"));
    }
    if let Some(max) = d.max_embargo {
        embargo.push(format!("longer than {max}"));
    }
    if !embargo.is_empty() {
        out.push(rule(
            "disclosure.default_embargo, disclosure.max_embargo",
            &embargo,
        ));
    }
    if d.reporter_timeline == Some(true) {
        out.push(rule(
            "disclosure.reporter_timeline = true",
            &[s("Tell us about any timeline constraints you have, and we will take them into account")],
        ));
    }
    if !d.advisories.is_empty() {
        out.push(rule(
            "disclosure.advisories",
            &[s("we publish a security advisory with the details, affected versions and the fix, in")],
        ));
    }
    let c = &policy.credit;
    if c.offered {
        out.push(rule("credit.offered = true (its section)", &[s("Credit")]));
        out.push(rule(
            "credit.offered = true",
            &[s(
                "and we will credit you for your contribution|We will credit you",
            )],
        ));
        out.push(rule(
            "credit.offered = true (the report's contact)",
            &[s("the name you would like to be credited under")],
        ));
        for (i, place) in c.places.iter().enumerate() {
            let mut words = vec![format!("In {}", place.title())];
            if *place == postern_core::policy::CreditPlace::HallOfFame
                && let Some(url) = &c.hall_of_fame_url
            {
                words.push(format!("at {url}"));
            }
            out.push(rule(
                format!("credit.places[{i}] = {}", place.title()),
                &words,
            ));
        }
        if c.anonymity {
            out.push(rule(
                "credit.anonymity = true",
                &[s("tell us and we will not name you anywhere")],
            ));
        }
    }
    if let Some(e) = &policy.updates.early_access {
        let mut words = vec![s("We provide early access to security updates for")];
        if let Some(days) = e.days_before {
            words.push(format!("{days} days before publication"));
        }
        out.push(rule("updates.early_access", &words));
    }
    let until = expires_at(policy, now()).strftime("%Y-%m-%d").to_string();
    match policy.terms.expires {
        Expiry::Rolling(span) => out.push(rule(
            format!("policy.expires = \"{span}\""),
            &[
                format!("each published copy is valid for {span}"),
                format!("this one until {until}"),
            ],
        )),
        Expiry::At(_) => out.push(rule(
            "policy.expires",
            &[format!("This policy is valid until {until}")],
        )),
    }
    for (i, v) in policy.supported_versions.iter().enumerate() {
        if let Some(eos) = v.end_of_support {
            out.push(rule(
                format!("supported_versions[{i}].end_of_support = {eos}"),
                &[eos.to_string()],
            ));
        }
    }
    out
}

/// Takes `needle` (or the first of its `|` alternatives found) out of `text`; `None` when
/// none is there. An empty alternative matches without taking anything.
fn take(text: &str, needle: &str) -> Option<String> {
    needle.split('|').find_map(|alt| {
        if alt.is_empty() {
            Some(text.to_owned())
        } else {
            text.find(alt)
                .map(|at| format!("{} {}", &text[..at], &text[at + alt.len()..]))
        }
    })
}

/// What is left of a sentence once the author's words in it are taken out, longest first.
fn without_authored(sentence: &str, authored: &[(String, String)]) -> (String, Vec<String>) {
    let mut by_length: Vec<&(String, String)> = authored.iter().collect();
    by_length.sort_by_key(|(_, text)| std::cmp::Reverse(text.len()));
    let mut left = sentence.to_owned();
    let mut keys = Vec::new();
    for (key, text) in by_length {
        if left.contains(text.as_str()) {
            left = left.replace(text.as_str(), " ");
            keys.push(key.clone());
        }
    }
    (left, keys)
}

/// Traces each promise sentence of a rendering to the key that explains it; `Err` lists the
/// sentences nothing explains.
fn trace(policy: &Policy, md: &str) -> Result<Vec<(String, String)>, Vec<String>> {
    let authored = authored(policy);
    let rules = rules(policy);
    let mut traced = Vec::new();
    let mut unexplained = Vec::new();
    for (sentence, inherited) in sentences(md) {
        if !inherited && !promises_something(&sentence) {
            continue;
        }
        // What may be left once a key's words are out: nothing at all of an item that carries
        // its list's promise, nothing that promises of any other sentence.
        let settled = |left: &str| {
            if inherited {
                !left.chars().any(char::is_alphanumeric)
            } else {
                !promises_something(left)
            }
        };
        // Wholly the author's words.
        if let Some((key, _)) = authored.iter().find(|(_, text)| text.contains(&sentence)) {
            traced.push((sentence, key.clone()));
            continue;
        }
        let (left, keys) = without_authored(&sentence, &authored);
        if settled(&left) {
            traced.push((sentence, keys.join(", ")));
            continue;
        }
        // A template of a key the policy sets, with nothing promised beside it.
        let found = rules.iter().find_map(|rule| {
            let mut left = left.clone();
            for needle in &rule.needles {
                left = take(&left, needle)?;
            }
            settled(&left).then(|| rule.key.clone())
        });
        match found {
            Some(key) => traced.push((sentence, key)),
            None => unexplained.push(sentence),
        }
    }
    if unexplained.is_empty() {
        Ok(traced)
    } else {
        Err(unexplained)
    }
}

#[test]
fn every_promise_of_each_example_policys_security_md_traces_back_to_a_key() {
    let policies = examples();
    assert_eq!(
        policies.len(),
        4,
        "example.toml and the three seed policies"
    );
    for (name, policy) in &policies {
        let md = security_md(policy, &RenderContext::offline(now()));
        let traced = trace(policy, &md)
            .unwrap_or_else(|e| panic!("{name}: no key explains {e:#?}\nin:\n{md}"));
        assert!(traced.len() >= 5, "{name}: {traced:#?}");
    }
    // What the trace says, for the full example: each sentence to the key that made it.
    let example = &policies["example.toml"];
    let md = security_md(example, &RenderContext::offline(now()));
    let traced: BTreeMap<String, String> = trace(example, &md).unwrap().into_iter().collect();
    for (sentence, key) in [
        (
            "Acknowledge receipt of your report within 1 business day",
            "response.acknowledge = \"1 business day\"",
        ),
        (
            "Send a detailed response with our plan within 2 weeks (aiming for 1 week)",
            "response.plan = \"1-2 weeks\"",
        ),
        (
            "| High | 1-2 weeks | within 2-4 weeks | 30 days |",
            "severity.high (fix = \"1-2 weeks\", release = \"2-4 weeks\", disclose = \"30 days\")",
        ),
        (
            "| Low | 60 days | - | 90 days from receipt |",
            "severity.low (fix = \"60 days\", disclose = \"90 days\")",
        ),
        (
            "Tell you the disclosure date before the advisory is published",
            "response.promises[0]",
        ),
        (
            "If you prefer to remain anonymous, tell us and we will not name you anywhere",
            "credit.anonymity = true",
        ),
        (
            "We provide early access to security updates for Linux distributions, 5 days before publication",
            "updates.early_access",
        ),
    ] {
        let found = traced
            .iter()
            .find(|(s, _)| s.contains(sentence))
            .unwrap_or_else(|| panic!("`{sentence}` not among {traced:#?}"));
        assert_eq!(found.1, key, "{sentence}");
    }
}

#[test]
fn a_sentence_no_key_explains_fails_the_trace() {
    let policies = examples();
    let linly = &policies["linly-talker.toml"];
    let md = security_md(linly, &RenderContext::offline(now()));
    for invented in [
        // Linly-Talker offers no credit and sets no embargo or deadline.
        "We take the security of Linly-Talker seriously. This policy says how to report a vulnerability privately, what we promise in return, and how we disclose and credit fixes.",
        "We will fix every vulnerability within 30 days.",
        "We credit reporters in our release notes.",
        "Where a deadline is a range, we aim for the shorter time and promise the longer one.",
        "- Acknowledge receipt of your report within 48 hours, and we will pay a bounty.",
        "The embargo never lasts longer than 90 days.",
        "Please report issues against the latest release before 2027-01-01.",
    ] {
        let with = format!("{md}\n{invented}\n");
        let unexplained = trace(linly, &with).expect_err(invented);
        assert_eq!(unexplained.len(), 1, "{invented}: {unexplained:#?}");
    }
    // An item of the "we will:" list promises by being there, whatever its words.
    let lead = "After we receive your report, we will:\n\n";
    assert!(md.contains(lead));
    let with = md.replace(lead, &format!("{lead}- Pay a bounty for every report.\n"));
    assert_eq!(
        trace(linly, &with).expect_err("an invented item"),
        ["Pay a bounty for every report"]
    );
}
