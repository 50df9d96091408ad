//! Every way a policy can be wrong gets a located message that says what to write instead.
//!
//! Tests are data: a policy text and the `LINE:COL: level: text` findings expected of it.

use jiff::Timestamp;
use postern_core::policy::{Checked, Level, parse, parse_str};
use proptest::prelude::*;

fn now() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

const MINIMAL: &str = r#"[project]
name = "Acme"

[[channels]]
kind = "email"
email = "security@acme.example.org"

[[supported_versions]]
versions = "1.x"
supported = true

[response]
acknowledge = "48 hours"

[severity.critical]
fix = "7 days"

[[encryption]]
kind = "openpgp"
url = "https://acme.example.org/key.asc"

[credit]
offered = true
"#;

/// Findings rendered as `LINE:COL: level: message`, one per line, for compact expectations.
/// Notes (what a choice means, no fault) are left out; `notes_say_what_a_choice_means` checks
/// them.
fn findings(checked: &Checked, source: &str) -> Vec<String> {
    checked
        .diagnostics
        .iter()
        .filter(|d| d.level != Level::Note)
        .map(|d| {
            d.display("f", source)
                .to_string()
                .trim_start_matches("f:")
                .to_owned()
        })
        .collect()
}

#[track_caller]
fn check(source: &str, expected: &[&str]) {
    let checked = parse_str(source, now());
    let found = findings(&checked, source);
    assert_eq!(
        found.len(),
        expected.len(),
        "expected {expected:#?}\nfound {found:#?}"
    );
    for (f, e) in found.iter().zip(expected) {
        assert!(
            f.starts_with(e) || f.contains(e),
            "expected `{e}` in `{f}`\nall: {found:#?}"
        );
    }
    let has_error = expected.iter().any(|e| e.contains("error:"));
    assert_eq!(checked.policy.is_none(), has_error);
}

#[test]
fn the_minimal_policy_is_clean() {
    check(MINIMAL, &[]);
}

#[test]
fn notes_say_what_a_choice_means_and_never_fail_a_check() {
    // No web-form channel: Postern serves no form for this project, and says so.
    let checked = parse_str(MINIMAL, now());
    let notes: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Note)
        .map(|d| d.display("f", MINIMAL).to_string())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:#?}");
    assert!(
        notes[0].starts_with(
            "f:4:1: note: no kind = \"web-form\" channel: Postern serves no report form"
        ),
        "{}",
        notes[0]
    );
    assert!(notes[0].contains("postern report add"), "{}", notes[0]);
    assert!(checked.policy.is_some(), "a note is no fault");
    // With one, nothing to note.
    let with_form = MINIMAL.replace(
        "[[supported_versions]]",
        "[[channels]]\nkind = \"web-form\"\n\n[[supported_versions]]",
    );
    let checked = parse_str(&with_form, now());
    assert!(
        checked.diagnostics.iter().all(|d| d.level != Level::Note),
        "{:#?}",
        checked.diagnostics
    );
}

#[test]
fn syntax_errors_point_at_the_line() {
    check(
        "[project]\nname = \"Acme\nx = 1\n",
        &["2:13: error: this is not valid TOML: invalid basic string"],
    );
    check("[project\n", &["1:9: error: this is not valid TOML"]);
}

#[test]
fn empty_and_whitespace_files_say_how_to_start() {
    check(
        "",
        &["1:1: error: the policy file is empty: run `postern init`"],
    );
    check("  \n\n", &["1:1: error: the policy file is empty"]);
}

#[test]
fn unknown_keys_suggest_the_closest_known_key() {
    let source = MINIMAL.replace("acknowledge = ", "acknowlege = ");
    check(
        &source,
        &["13:1: error: unknown key `acknowlege` in `response`: did you mean `acknowledge`?"],
    );
    let source = MINIMAL.replace("[project]\n", "[projet]\nname = \"x\"\n[project]\n");
    let found = findings(&parse_str(&source, now()), &source);
    assert!(
        found.iter().any(|f| f.starts_with(
            "1:2: error: unknown key `projet` in the top level of the file: did you mean `project`?"
        )),
        "{found:#?}"
    );
}

#[test]
fn unknown_keys_far_from_anything_list_the_choices() {
    let source = format!("zebra = 1\n{MINIMAL}");
    let found = findings(&parse_str(&source, now()), &source);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("`zebra`"));
    assert!(
        found[0].contains("expected one of: project, products"),
        "{}",
        found[0]
    );
}

#[test]
fn wrong_types_name_the_key_and_the_type() {
    let source = MINIMAL.replace("acknowledge = \"48 hours\"", "acknowledge = 48");
    check(
        &source,
        &[
            "13:15: error: `response.acknowledge` must be a duration in quotes or a table, not a number: write `acknowledge = \"48 hours\"`",
        ],
    );
    let source = MINIMAL.replace("supported = true", "supported = \"yes\"");
    check(
        &source,
        &["10:13: error: `supported_versions[0].supported` must be true or false, not a string"],
    );
    let source = MINIMAL.replace("[[channels]]", "[channels]");
    let found = findings(&parse_str(&source, now()), &source);
    assert!(
        found.iter().any(|f| f.contains(
            "`channels` must be a list of tables, each written [[channels]], not a table"
        )),
        "{found:#?}"
    );
}

#[test]
fn all_errors_are_reported_at_once() {
    let source = MINIMAL
        .replace("acknowledge = \"48 hours\"", "acknowledge = \"soon\"")
        .replace("kind = \"email\"", "kind = \"mail\"")
        .replace("fix = \"7 days\"", "fixx = \"7 days\"");
    check(
        &source,
        &[
            "5:8: error: `channels[0].kind` cannot be \"mail\": did you mean `email`?",
            "13:15: error: `response.acknowledge`: `soon` is not a duration",
            "16:1: error: unknown key `fixx` in `severity.critical`: did you mean `fix`?",
        ],
    );
}

#[test]
fn missing_keys_say_what_to_add() {
    let source = MINIMAL.replace("name = \"Acme\"\n", "");
    check(
        &source,
        &["1:1: error: `project` is missing `name`: add `name = \"Your project\"`"],
    );
    check(
        "[[channels]]\nkind = \"email\"\nemail = \"a@b.example\"\n",
        &["1:1: error: the policy has no [project] table"],
    );
    let source = MINIMAL.replace("email = \"security@acme.example.org\"\n", "");
    check(&source, &["4:1: error: `channels[0]` is missing `email`"]);
}

#[test]
fn semantic_errors_point_at_the_offending_value() {
    let source = MINIMAL.replace("security@acme.example.org", "security at acme");
    check(
        &source,
        &["6:9: error: `channels[0].email` is not a valid email address"],
    );

    let source = MINIMAL.replace(
        "https://acme.example.org/key.asc",
        "http://acme.example.org/key.asc",
    );
    check(
        &source,
        &[
            "20:7: error: `encryption[0].url` must use https, not http: write \"https://acme.example.org/key.asc\"",
        ],
    );

    let source = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        "acknowledge = \"1 week\"\nassess = \"48 hours\"",
    );
    check(
        &source,
        &[
            "14:10: error: `response.assess` (48 hours) comes before `response.acknowledge` (1 week)",
        ],
    );

    let source = format!("{MINIMAL}\n[severity.low]\nfix = \"3 days\"\n");
    check(
        &source,
        &["16:7: error: `severity.critical.fix` (7 days) is longer than for low (3 days)"],
    );

    let source = format!(
        "{MINIMAL}\n[disclosure]\ndefault_embargo = \"120 days\"\nmax_embargo = \"90 days\"\n"
    );
    check(
        &source,
        &[
            "26:19: error: `disclosure.default_embargo` (120 days) is longer than `max_embargo` (90 days)",
        ],
    );

    let source = MINIMAL.replace("[response]\n", "[response]\ntime_zone = \"CET-ish\"\n");
    check(
        &source,
        &[
            "13:13: error: `response.time_zone` \"CET-ish\" is not a known time zone: use an IANA name",
        ],
    );
}

#[test]
fn expiry_must_be_in_the_coming_year() {
    let expired = format!("{MINIMAL}\n[policy]\nexpires = 2026-01-01T00:00:00Z\n");
    check(
        &expired,
        &["26:11: error: the policy expired on 2026-01-01T00:00:00Z"],
    );
    let far = format!("{MINIMAL}\n[policy]\nexpires = 2028-01-01T00:00:00Z\n");
    check(
        &far,
        &["26:11: error: `policy.expires` (2028-01-01T00:00:00Z) is more than a year ahead"],
    );
    let soon = format!("{MINIMAL}\n[policy]\nexpires = 2026-12-01\n");
    check(
        &soon,
        &["26:11: warning: the policy expires in less than 30 days"],
    );
    let local = format!("{MINIMAL}\n[policy]\nexpires = 2027-01-01T00:00:00\n");
    check(
        &local,
        &["26:11: error: `policy.expires` has no time zone offset"],
    );
    let rolling = format!("{MINIMAL}\n[policy]\nexpires = \"400 days\"\n");
    check(
        &rolling,
        &["26:11: error: a rolling expiry of 400 days is a year or more"],
    );
}

#[test]
fn warnings_leave_the_policy_usable() {
    let source = MINIMAL.replace(
        "[[encryption]]\nkind = \"openpgp\"\nurl = \"https://acme.example.org/key.asc\"\n",
        "",
    );
    let checked = parse_str(&source, now());
    assert!(checked.policy.is_some());
    let warnings: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.level != Level::Note)
        .collect();
    assert!(warnings.iter().all(|d| d.level == Level::Warning));
    assert!(warnings[0].message.contains("no encryption key"));
}

#[test]
fn non_utf8_is_located() {
    let mut bytes = b"[project]\nname = \"Ac".to_vec();
    bytes.push(0xFF);
    bytes.extend_from_slice(b"me\"\n");
    let checked = parse(&bytes, now());
    let lossy = String::from_utf8_lossy(&bytes);
    assert_eq!(
        findings(&checked, &lossy),
        ["2:11: error: the file is not UTF-8 text (byte 0xFF here); save it as UTF-8"]
    );
}

#[test]
fn huge_files_are_refused_before_parsing() {
    let mut bytes = MINIMAL.as_bytes().to_vec();
    bytes.resize(postern_core::policy::POLICY_BYTES_MAX + 1, b'\n');
    let checked = parse(&bytes, now());
    assert!(checked.policy.is_none());
    assert!(
        checked.diagnostics[0]
            .message
            .contains("larger than the 1048576 bytes")
    );
    // Exactly at the limit is still parsed.
    bytes.truncate(postern_core::policy::POLICY_BYTES_MAX);
    assert!(parse(&bytes, now()).policy.is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary text never panics the parser, and every finding has a position inside the text.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let checked = parse_str(&text, now());
        for d in &checked.diagnostics {
            if let Some(span) = &d.span {
                prop_assert!(span.start <= text.len());
            }
        }
    }

    /// Cutting a valid policy anywhere, or overwriting one byte, gives findings, never a panic.
    #[test]
    fn damaged_policies_never_panic(cut in 0usize..MINIMAL.len(), at in 0usize..MINIMAL.len(), byte in any::<u8>()) {
        let _ = parse(&MINIMAL.as_bytes()[..cut], now());
        let mut bytes = MINIMAL.as_bytes().to_vec();
        bytes[at] = byte;
        let _ = parse(&bytes, now());
    }
}

#[test]
fn a_misspelt_channel_kind_gives_one_error_and_no_guess_at_its_keys() {
    let source = MINIMAL.replace("kind = \"email\"", "kind = \"pull request\"");
    check(
        &source,
        &[
            "5:8: error: `channels[0].kind` cannot be \"pull request\": did you mean `pull-request`?",
        ],
    );
    let source = MINIMAL
        .replace("kind = \"email\"", "kind = \"pull request\"")
        .replace("email = \"security@acme.example.org\"\n", "");
    check(
        &source,
        &[
            "5:8: error: `channels[0].kind` cannot be \"pull request\": did you mean `pull-request`?",
        ],
    );
}

#[test]
fn a_key_with_no_address_says_every_way_to_give_one() {
    let source = MINIMAL.replace("url = \"https://acme.example.org/key.asc\"\n", "");
    let checked = parse_str(&source, now());
    let found = findings(&checked, &source);
    assert_eq!(
        found,
        [
            "18:1: error: `encryption[0]` is missing `url`: add `url = \"https://example.org/security.asc\"`, or the key itself as `key = \"...\"`, or an OpenPGP `fingerprint = \"...\"`"
        ]
    );
    assert!(!found[0].contains("``"), "no stray backtick: {}", found[0]);
}

#[test]
fn a_duration_that_is_only_a_dash_is_quoted() {
    for (written, quoted) in [
        ("-", "`-`"),
        (" - ", "`-`"),
        ("3-", "`3-`"),
        ("-2 weeks", "`-2 weeks`"),
    ] {
        let source = MINIMAL.replace(
            "acknowledge = \"48 hours\"",
            &format!("acknowledge = \"{written}\""),
        );
        let found = findings(&parse_str(&source, now()), &source);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].contains(&format!("{quoted} is not a duration or a range")),
            "{}",
            found[0]
        );
        assert!(!found[0].contains("``"), "{}", found[0]);
        assert!(
            found[0].contains("`response.promises`"),
            "names the other way to write a promise: {}",
            found[0]
        );
    }
}

#[test]
fn security_txt_without_any_contact_is_refused_with_what_to_add() {
    let source = "[project]\nname = \"Chatty\"\n\n[[channels]]\nkind = \"chat\"\nplatform = \"Discord\"\nhandle = \"@security\"\n\n[[channels]]\nkind = \"pull-request\"\n";
    let found = findings(&parse_str(source, now()), source);
    let contact: Vec<&String> = found.iter().filter(|f| f.contains("Contact")).collect();
    assert_eq!(contact.len(), 1, "{found:#?}");
    assert!(
        contact[0].starts_with("4:1: error: security.txt needs a Contact"),
        "{}",
        contact[0]
    );
    for what in [
        "`url`",
        "kind = \"email\"",
        "kind = \"web-form\"",
        "[security_txt] policy",
    ] {
        assert!(
            contact[0].contains(what),
            "says to add {what}: {}",
            contact[0]
        );
    }
}

#[test]
fn a_chat_channel_needs_a_handle_or_a_url() {
    let source = MINIMAL.replace(
        "[[supported_versions]]",
        "[[channels]]\nkind = \"chat\"\nplatform = \"Discord\"\n\n[[supported_versions]]",
    );
    check(
        &source,
        &[
            "8:1: error: `channels[1]` is missing `url` or `handle`: add `url = \"https://...\"` or `handle = \"@security\"`",
        ],
    );
    let handle = MINIMAL.replace(
        "[[supported_versions]]",
        "[[channels]]\nkind = \"chat\"\nplatform = \"Discord\"\nhandle = \"@security on Discord\"\n\n[[supported_versions]]",
    );
    check(&handle, &[]);
}

#[test]
fn a_promise_with_no_set_time_is_written_as_a_table_and_checks_clean() {
    let source = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        "acknowledge = { untimed = true, says = \"within a reasonable time\" }",
    );
    check(&source, &[]);
    let policy = parse_str(&source, now()).policy.unwrap();
    let ack = policy.response.acknowledge.unwrap();
    assert_eq!(ack.time(), None);
    assert_eq!(ack.within.to_string(), "within a reasonable time");
    // Without words it is still a promise: no warning that nothing is promised.
    let bare = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        "acknowledge = { untimed = true }",
    );
    check(&bare, &[]);
    // The sub-table form says the same.
    let table = MINIMAL.replace(
        "acknowledge = \"48 hours\"\n",
        "\n[response.acknowledge]\nuntimed = true\nsays = \"soon\"\n",
    );
    check(&table, &[]);
}

#[test]
fn a_time_that_is_no_duration_names_both_ways_to_write_a_promise_without_one() {
    let source = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        "acknowledge = \"as soon as we can\"",
    );
    check(
        &source,
        &[
            "13:15: error: `response.acknowledge`: `as soon as we can` is not a duration; write a duration such as \"48 hours\"",
        ],
    );
    let found = findings(&parse_str(&source, now()), &source);
    assert!(
        found[0].contains("`acknowledge = { untimed = true, says = \"as soon as we can\" }`"),
        "the author's own words, as an untimed promise: {}",
        found[0]
    );
    assert!(found[0].contains("`response.promises`"), "{}", found[0]);
    // Inside a table, at the `within` value; a botched duration gets a neutral example.
    let source = MINIMAL.replace(
        "fix = \"7 days\"",
        "fix = { within = \"7 dys\", starts = \"receipt\" }",
    );
    check(
        &source,
        &[
            "16:18: error: `severity.critical.fix.within`: `dys` is not a unit (use hours, days, business days or weeks)",
        ],
    );
    let found = findings(&parse_str(&source, now()), &source);
    assert!(
        found[0].contains("`fix = { untimed = true, says = \"within a reasonable time\" }`"),
        "{}",
        found[0]
    );
}

#[test]
fn promise_tables_say_what_is_missing_or_contradicts() {
    let cases = [
        (
            "acknowledge = { within = \"48 hours\", untimed = true }",
            "13:48: error: `response.acknowledge` gives a time in `within` and says `untimed = true`: remove one of them",
        ),
        (
            "acknowledge = { says = \"soon\" }",
            "13:15: error: `response.acknowledge` has no time: add `untimed = true` to keep \"soon\" as a promise with no set time, or give the time as `within = \"48 hours\"`",
        ),
        (
            "acknowledge = { starts = \"receipt\" }",
            "13:15: error: `response.acknowledge` has no time: add `within = \"48 hours\"`, or `untimed = true`",
        ),
        (
            "acknowledge = { within = \"48 hours\", says = \"two days\" }",
            "13:45: error: `response.acknowledge.says` is for a promise with no set time; this one is rendered from `within`",
        ),
        (
            "acknowledge = { within = \"48 hours\", start = \"receipt\" }",
            "13:38: error: unknown key `start` in `response.acknowledge`: did you mean `starts`?",
        ),
        (
            "acknowledge = 48",
            "13:15: error: `response.acknowledge` must be a duration in quotes or a table, not a number",
        ),
        // A wrong type is one error, not a second one about a time missing.
        (
            "acknowledge = { within = 48 }",
            "13:26: error: `response.acknowledge.within` must be a string in quotes, not a number",
        ),
        (
            "acknowledge = { untimed = \"yes\" }",
            "13:27: error: `response.acknowledge.untimed` must be true or false, not a string",
        ),
    ];
    for (line, expected) in cases {
        let source = MINIMAL.replace("acknowledge = \"48 hours\"", line);
        check(&source, &[expected]);
    }
}

#[test]
fn a_promise_starts_only_where_it_can() {
    let cases = [
        (
            "acknowledge = { within = \"48 hours\", starts = \"triage\" }",
            "13:47: error: `response.acknowledge.starts` cannot be \"triage\": accepting a report keeps this promise, so it cannot start it; write \"receipt\"",
        ),
        (
            "acknowledge = { within = \"48 hours\", starts = \"acknowledgement\" }",
            "13:47: error: `response.acknowledge.starts` cannot be \"acknowledgement\": acknowledging keeps this promise",
        ),
        (
            "acknowledge = \"48 hours\"\nassess = { within = \"3 days\", starts = \"triage\" }",
            "14:40: error: `response.assess.starts` cannot be \"triage\": accepting a report keeps this promise, so it cannot start it; write \"receipt\" or \"acknowledgement\"",
        ),
        (
            "acknowledge = { within = \"48 hours\", starts = \"reciept\" }",
            "13:47: error: `response.acknowledge.starts` cannot be \"reciept\": did you mean `receipt`?",
        ),
        (
            "acknowledge = { within = \"48 hours\", starts = 1 }",
            "13:47: error: `response.acknowledge.starts` must be a string in quotes, not a number",
        ),
    ];
    for (line, expected) in cases {
        let source = MINIMAL.replace("acknowledge = \"48 hours\"", line);
        check(&source, &[expected]);
    }
    let source = MINIMAL.replace(
        "fix = \"7 days\"",
        "fix = { within = \"7 days\", starts = \"acknowledgment\" }",
    );
    check(
        &source,
        &[
            "16:37: error: `severity.critical.fix.starts` cannot be \"acknowledgment\": did you mean `acknowledgement`?",
        ],
    );
}

#[test]
fn times_counted_from_different_events_are_not_compared() {
    // A week from receipt, then 48 hours from the acknowledgement: no contradiction.
    let source = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        "acknowledge = \"1 week\"\nassess = { within = \"48 hours\", starts = \"acknowledgement\" }",
    );
    check(&source, &[]);
    // 30 days from receipt for critical, 3 days from triage for low: not comparable either.
    let source = format!("{MINIMAL}\n[severity.low]\nfix = \"3 days\"\n").replace(
        "fix = \"7 days\"",
        "fix = { within = \"30 days\", starts = \"receipt\" }",
    );
    check(&source, &[]);
    // From the same event they still are.
    let source = format!(
        "{MINIMAL}\n[severity.low]\nfix = {{ within = \"3 days\", starts = \"triage\" }}\n"
    );
    check(
        &source,
        &["16:7: error: `severity.critical.fix` (7 days) is longer than for low (3 days)"],
    );
}

#[test]
fn the_words_of_an_untimed_promise_have_a_limit() {
    use postern_core::policy::PROMISE_WORDS_CHARS_MAX;
    let at_limit = "w".repeat(PROMISE_WORDS_CHARS_MAX);
    let source = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        &format!("acknowledge = {{ untimed = true, says = \"{at_limit}\" }}"),
    );
    check(&source, &[]);
    let source = MINIMAL.replace(
        "acknowledge = \"48 hours\"",
        &format!("acknowledge = {{ untimed = true, says = \"{at_limit}w\" }}"),
    );
    check(
        &source,
        &["13:40: error: `response.acknowledge.says` is longer than 200 characters"],
    );
}
