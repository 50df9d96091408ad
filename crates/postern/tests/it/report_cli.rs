//! The terminal workflow on a real data directory: the first admin's setup code printed by
//! `serve`, accounts from `postern user`, and a report worked with `postern report`.

use crate::support::{http_request, postern, sigterm, start, stderr, stdout};

#[test]
fn a_report_is_worked_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let server = start(&[], &data);
    // The first start on an empty database prints how the first admin signs in.
    let link = server.line_after("Setup link for admin@localhost");
    assert!(link.ends_with("/team/setup"), "{link}");
    let code = server.line_after("Setup code");
    assert!(code.len() >= 40, "{code}");
    let body = serde_json::json!({"fields": {"title": "SQL injection in search", "description": "q=' OR 1=1", "impact": "data", "steps_to_reproduce": "s", "proof_of_concept": "p"}}).to_string();
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let created: serde_json::Value = serde_json::from_str(&reply).unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let mut server = server;
    assert_eq!(sigterm(&mut server).code(), Some(0));

    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", &data_arg]);
        if args[..2] != ["user", "list"] && args[0] != "audit" {
            all.extend(["--as", "carol@example.org"]);
        }
        postern(dir.path(), &all)
    };
    let added = run(&["user", "add", "carol@example.org", "--role", "triager"]);
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    assert!(stdout(&added).contains("/team/setup"), "{}", stdout(&added));
    let again = run(&["user", "add", "carol@example.org", "--role", "viewer"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
    let users = run(&["user", "list"]);
    assert!(
        stdout(&users).contains("carol@example.org"),
        "{}",
        stdout(&users)
    );

    // A header row, then each report with its title (opened for the list, not a view).
    let list = run(&["report", "list"]);
    let listed = stdout(&list);
    let mut lines = listed.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("ID ") && header.contains("STATE") && header.ends_with("TITLE"),
        "{listed}"
    );
    let row = lines.next().unwrap_or_default();
    assert!(
        row.starts_with(&id) && row.ends_with("  SQL injection in search"),
        "{listed}"
    );
    let all = run(&["report", "list", "--status", "all"]);
    assert!(stdout(&all).contains(&id), "{}", stdout(&all));
    let closed = run(&["report", "list", "--status", "closed"]);
    assert_eq!(stdout(&closed).trim(), "No reports match.");
    // Searched by a title word's beginning or an id's, combined with the state filter.
    let id_start: String = id.chars().take(5).collect();
    for words in ["INJECT", "injection search", id_start.as_str()] {
        let found = run(&["report", "list", "--search", words]);
        assert!(stdout(&found).contains(&id), "{words}: {}", stdout(&found));
    }
    let none = run(&[
        "report",
        "list",
        "--search",
        "injection",
        "--status",
        "closed",
    ]);
    assert_eq!(stdout(&none).trim(), "No reports match.");
    let nothing = run(&["report", "list", "--search", "a of"]);
    assert_eq!(nothing.status.code(), Some(1), "{}", stderr(&nothing));
    assert!(
        stderr(&nothing).contains("search: \"a of\" has no word to search for"),
        "{}",
        stderr(&nothing)
    );
    let wrong = run(&["report", "list", "--status", "shut"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stderr(&wrong).contains("write open, all, or one of received"),
        "{}",
        stderr(&wrong)
    );
    let ack = run(&["report", "ack", &id]);
    assert_eq!(ack.status.code(), Some(0), "{}", stderr(&ack));
    assert!(
        stdout(&ack).contains("received -> acknowledged"),
        "{}",
        stdout(&ack)
    );
    // An illegal transition is a clear error and changes nothing.
    let twice = run(&["report", "ack", &id]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(
        stderr(&twice).contains("cannot acknowledge a report that is acknowledged"),
        "{}",
        stderr(&twice)
    );
    let accepted = run(&[
        "report",
        "triage",
        &id,
        "--accept",
        "--cvss",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    ]);
    assert_eq!(accepted.status.code(), Some(0), "{}", stderr(&accepted));
    assert!(
        stdout(&accepted).contains("rated it High (CVSS 7.5)"),
        "{}",
        stdout(&accepted)
    );
    let extend = run(&[
        "report",
        "extend",
        &id,
        "--clock",
        "fix",
        "--by",
        "3 days",
        "--reason",
        "waiting for upstream",
    ]);
    assert_eq!(extend.status.code(), Some(0), "{}", stderr(&extend));
    let no_reason = run(&["report", "pause", &id, "--clock", "fix", "--reason", " "]);
    assert_eq!(no_reason.status.code(), Some(1));
    assert!(
        stderr(&no_reason).contains("give a reason"),
        "{}",
        stderr(&no_reason)
    );
    let show = run(&["report", "show", &id]);
    let shown = stdout(&show);
    assert!(
        shown.starts_with(&format!("SQL injection in search\nReport {id} (")),
        "headed by its title: {shown}"
    );
    assert!(shown.contains("q=' OR 1=1"), "{shown}");
    // Fields by their labels, and the credit the reporter asked for.
    assert!(shown.contains("  Description:\n    q=' OR 1=1"), "{shown}");
    assert!(!shown.contains("[description]"), "{shown}");
    assert!(shown.contains("Credit: anonymous"), "{shown}");
    assert!(shown.contains("Severity: High"), "{shown}");
    // Each deadline with what it counts from, its target and its limit.
    let fix = shown
        .lines()
        .find(|l| l.trim_start().starts_with("have a fix ready"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        fix.contains(" 1-2 weeks ") && fix.contains(" from triage ") && fix.contains("  target "),
        "{fix}"
    );
    let (target, limit) = fix
        .split_once("  target ")
        .unwrap()
        .1
        .split_once("  limit ")
        .unwrap();
    assert!(target < limit, "a range aims before its limit: {fix}");
    // The history in sentences, without the audit log's codes.
    assert!(
        shown.contains("carol@example.org gave 3 days more to have a fix ready, until ")
            && shown.contains(": waiting for upstream."),
        "{shown}"
    );
    assert!(
        shown.contains("carol@example.org viewed the report."),
        "{shown}"
    );
    assert!(!shown.contains("clock=fix"), "{shown}");

    // The accepted report becomes a draft advisory.
    assert_eq!(run(&["report", "fix", &id]).status.code(), Some(0));
    assert_eq!(
        run(&["report", "fixed", &id, "--versions", "2.4.1"])
            .status
            .code(),
        Some(0)
    );
    let draft_file = dir.path().join("draft.json");
    let draft_arg = draft_file.display().to_string();
    let drafted = run(&[
        "advisory",
        "draft",
        "--from-report",
        &id,
        "--out",
        &draft_arg,
    ]);
    assert_eq!(drafted.status.code(), Some(0), "{}", stderr(&drafted));
    let draft: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&draft_file).unwrap()).unwrap();
    let year = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .year();
    assert_eq!(draft["id"], format!("ACME-{year}-0001"));
    assert_eq!(draft["title"], "SQL injection in search");
    assert_eq!(draft["severity"], "high");
    assert_eq!(draft["affected"][0]["ranges"][0]["fixed"], "2.4.1");
    assert_eq!(
        draft["credits"][0]["name"],
        serde_json::Value::Null,
        "no credit name: anonymous"
    );
    let again = run(&["advisory", "draft", "--from-report", &id]);
    assert!(
        stdout(&again).contains(&format!("ACME-{year}-0002")),
        "the next number"
    );

    let verify = run(&["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}

#[test]
fn a_report_from_another_channel_is_recorded_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let received = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let body = serde_json::json!({
        "fields": {"title": "Token leak in the Matrix bridge", "description": "Reported in the Matrix room."},
        "credit_name": "Ada",
        "attachments": [{"filename": "poc.txt", "content_base64": "cG9j"}]
    })
    .to_string();
    // From standard input, with a field added by flag.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_postern"))
        .args([
            "report",
            "add",
            "--channel",
            "chat",
            "--received-at",
            &received,
            "--file",
            "-",
            "--field",
            "impact=Tokens of every user",
            "--case-key",
            "--data",
            &data_arg,
            "--as",
            "carol@example.org",
        ])
        .current_dir(dir.path())
        .env_remove("POSTERN_POLICY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let added = child.wait_with_output().unwrap();
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let out = stdout(&added);
    assert!(out.contains("for Acme Widgets: received "), "{out}");
    assert!(
        out.contains(" through chat; its deadlines run from then."),
        "{out}"
    );
    assert!(out.contains("acknowledge the report"), "{out}");
    assert!(
        out.contains("Case key for the reporter (shown only now"),
        "{out}"
    );
    assert!(out.contains(": pk-"), "{out}");
    let id = out
        .split_whitespace()
        .nth(2)
        .expect("Recorded report ID ...")
        .to_owned();

    let show = postern(
        dir.path(),
        &[
            "report",
            "show",
            &id,
            "--data",
            &data_arg,
            "--as",
            "carol@example.org",
        ],
    );
    assert_eq!(show.status.code(), Some(0), "{}", stderr(&show));
    let shown = stdout(&show);
    assert!(shown.contains("Channel:  chat"), "{shown}");
    assert!(shown.contains("Tokens of every user"), "{shown}");
    assert!(shown.contains("attachment poc.txt (3 bytes)"), "{shown}");
    assert!(
        shown.contains("carol@example.org recorded the report, received through chat."),
        "{shown}"
    );

    // Wrong input is refused, each problem by the flag it came from, and nothing is stored.
    let refused = postern(
        dir.path(),
        &[
            "report",
            "add",
            "--channel",
            "web-form",
            "--received-at",
            "2099-01-01 10:00",
            "--field",
            "title=x",
            "--data",
            &data_arg,
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let said = stderr(&refused);
    assert!(
        said.contains(
            "postern: --channel: a report sent through Postern's form is in Postern already"
        ),
        "{said}"
    );
    assert!(
        said.contains("postern: --received-at: \"2099-01-01 10:00\" is in the future"),
        "{said}"
    );
    assert!(said.contains("nothing was recorded"), "{said}");
    let bad_time = postern(
        dir.path(),
        &[
            "report",
            "add",
            "--channel",
            "email",
            "--received-at",
            "2026-02-30 10:00",
            "--field",
            "title=x",
            "--data",
            &data_arg,
        ],
    );
    assert_eq!(bad_time.status.code(), Some(1));
    assert!(
        stderr(&bad_time).contains("--received-at: \"2026-02-30 10:00\" is not a moment; write it as 2026-11-30T09:12:00Z, or as 2026-11-30 10:12 in the project's time zone (Europe/Berlin)"),
        "{}",
        stderr(&bad_time)
    );
    std::fs::write(dir.path().join("bad.json"), "{\"fields\": {\"title\": 1}}").unwrap();
    let bad_json = postern(
        dir.path(),
        &[
            "report",
            "add",
            "--channel",
            "chat",
            "--received-at",
            &received,
            "--file",
            "bad.json",
            "--data",
            &data_arg,
        ],
    );
    assert_eq!(bad_json.status.code(), Some(2));
    assert!(
        stderr(&bad_json).contains("bad.json:1:22: invalid type: integer `1`, expected a string;"),
        "{}",
        stderr(&bad_json)
    );
    // The header and the one report: nothing was stored by the refusals.
    let list = postern(dir.path(), &["report", "list", "--data", &data_arg]);
    assert_eq!(stdout(&list).lines().count(), 2, "{}", stdout(&list));
}
