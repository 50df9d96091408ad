//! Erasure and legal hold from the terminal on a real data directory: a canary in the contact
//! and the contents is in `report show` before `report erase` and nowhere after; a held report
//! is refused with its reason; `audit verify` still passes.

use crate::support::{postern, stderr, stdout};

const CANARY: &str = "canary-2b7d41";

#[test]
fn a_report_is_erased_and_held_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--data", &data_arg]);
        if args[0] != "audit" {
            all.extend(["--as", "admin@example.org"]);
        }
        postern(dir.path(), &all)
    };
    let received = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(3))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let add = |title: &str| {
        let added = run(&[
            "report",
            "add",
            "--channel",
            "chat",
            "--received-at",
            &received,
            "--field",
            &format!("title={title} {CANARY}"),
            "--field",
            &format!("description=details {CANARY}"),
            "--contact-email",
            &format!("{CANARY}@example.org"),
            "--credit-name",
            &format!("Name {CANARY}"),
            "--case-key",
        ]);
        assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
        stdout(&added)
            .split_whitespace()
            .nth(2)
            .expect("Recorded report ID ...")
            .to_owned()
    };
    let id = add("Erased");
    let show = stdout(&run(&["report", "show", &id]));
    assert!(show.contains(&format!("{CANARY}@example.org")), "{show}");

    let wrong = run(&[
        "report",
        "erase",
        &id,
        "--what",
        "everything",
        "--reason",
        "x",
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(
        stderr(&wrong).contains("write contact or contents"),
        "{}",
        stderr(&wrong)
    );
    let erased = run(&[
        "report", "erase", &id, "--what", "contact", "--reason", "asked",
    ]);
    assert_eq!(erased.status.code(), Some(0), "{}", stderr(&erased));
    let show = stdout(&run(&["report", "show", &id]));
    assert!(!show.contains(&format!("{CANARY}@example.org")), "{show}");
    assert!(!show.contains(&format!("Name {CANARY}")), "{show}");
    assert!(show.contains(&format!("details {CANARY}")), "{show}");
    assert!(show.contains("Erased:   contact on"), "{show}");
    let contents = run(&[
        "report", "erase", &id, "--what", "contents", "--reason", "asked",
    ]);
    assert_eq!(contents.status.code(), Some(0), "{}", stderr(&contents));
    let twice = run(&[
        "report", "erase", &id, "--what", "contents", "--reason", "asked",
    ]);
    assert_eq!(twice.status.code(), Some(0), "{}", stderr(&twice));
    assert!(
        stdout(&twice).contains("erased before"),
        "{}",
        stdout(&twice)
    );
    let show = stdout(&run(&["report", "show", &id]));
    assert!(!show.contains(CANARY), "{show}");
    assert!(show.starts_with("(contents erased)"), "{show}");
    let list = stdout(&run(&["report", "list", "--status", "all"]));
    assert!(!list.contains(CANARY), "{list}");

    let held = add("Held");
    let hold = run(&[
        "report",
        "hold",
        &held,
        "--reason",
        "court order",
        "--until",
        "2099-12-31",
    ]);
    assert_eq!(hold.status.code(), Some(1), "{}", stdout(&hold));
    assert!(stderr(&hold).contains("at most"), "{}", stderr(&hold));
    let until = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 30))
        .strftime("%Y-%m-%d")
        .to_string();
    let hold = run(&[
        "report",
        "hold",
        &held,
        "--reason",
        "court order",
        "--until",
        &until,
    ]);
    assert_eq!(hold.status.code(), Some(0), "{}", stderr(&hold));
    let refused = run(&[
        "report", "erase", &held, "--what", "contact", "--reason", "asked",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("legal hold") && stderr(&refused).contains("court order"));
    let show = stdout(&run(&["report", "show", &held]));
    assert!(
        show.contains(&format!("{CANARY}@example.org")),
        "untouched: {show}"
    );
    assert!(show.contains("Hold:     legal hold through"), "{show}");

    let verify = run(&["audit", "verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stderr(&verify));
}
