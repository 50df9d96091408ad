//! `postern serve` as a real process: it starts, serves, and stops cleanly on SIGTERM.

use std::process::Command;

use crate::support::{http_get, postern, sigterm, start, stderr};

#[test]
fn serves_the_example_policy_and_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("postern-data");
    let mut server = start(&[], &data_dir);
    let (status, body) = http_get(&server.address, "/.well-known/security.txt");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        body.contains("Contact: mailto:security@widgets.example.org"),
        "{body}"
    );
    assert_eq!(body.matches("\nExpires: ").count(), 1);
    assert!(body.contains(&format!(
        "Canonical: http://{}/.well-known/security.txt",
        server.address
    )));
    let (status, body) = http_get(&server.address, "/healthz");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains(r#"{"status":"ok"}"#));
    let (status, _) = http_get(&server.address, "/security-policy");
    assert_eq!(status, "HTTP/1.1 200 OK");

    assert_eq!(
        sigterm(&mut server).code(),
        Some(0),
        "clean exit on SIGTERM"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&data_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "data directory is private");
}

#[test]
fn serves_several_projects_from_policy_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, project: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("[project]\nname = \"{project}\"\n[[channels]]\nkind = \"email\"\nemail = \"sec@{project}.example.org\"\n"),
        )
        .unwrap();
        path.display().to_string()
    };
    let a = write("a.toml", "alpha");
    let b = write("b.toml", "beta");
    let mut server = start(&["--policy", &a, "--policy", &b], &dir.path().join("data"));
    let (_, root) = http_get(&server.address, "/.well-known/security.txt");
    assert!(root.contains("mailto:sec@alpha.example.org"), "{root}");
    let (status, beta) = http_get(&server.address, "/projects/beta/.well-known/security.txt");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(beta.contains("mailto:sec@beta.example.org"), "{beta}");
    assert_eq!(sigterm(&mut server).code(), Some(0));
}

#[test]
fn refuses_to_start_with_a_broken_or_clashing_policy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[project]\nname = \"x\"\nchanels = []\n",
    )
    .unwrap();
    let output = postern(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            "d",
            "--policy",
            "bad.toml",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("bad.toml:3:1: error: unknown key `chanels`"),
        "{err}"
    );
    assert!(err.contains("bad.toml has errors"), "{err}");

    let policy = "[project]\nname = \"Same\"\n[[channels]]\nkind = \"web-form\"\n";
    std::fs::write(dir.path().join("one.toml"), policy).unwrap();
    std::fs::write(dir.path().join("two.toml"), policy).unwrap();
    let output = postern(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            "d",
            "--policy",
            "one.toml",
            "--policy",
            "two.toml",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("both use the project slug \"same\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_environment_configures_serve() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_postern"))
        .arg("serve")
        .current_dir(dir.path())
        .env("POSTERN_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not-an-address"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_demo_shows_the_whole_product_from_one_command() {
    let data = tempfile::tempdir().unwrap();
    let demo = data.path().join("demo");
    let mut server = start(&["--demo"], &demo);
    let account = server.line_after("Seeded the demo:");
    assert!(
        account.starts_with("DEMO: made-up data only.") && account.contains("demo@example.org"),
        "{account}"
    );
    let (status, stats) = http_get(&server.address, "/stats");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(stats.contains("reports received"), "{stats}");
    assert!(
        stats.contains(" %</td>"),
        "shares of promises kept are shown: {stats}"
    );
    let (_, list) = http_get(&server.address, "/advisories");
    let rows = list.matches("<tr><td><a href=\"/advisories/").count();
    assert!(rows >= 20, "{rows} published advisories: {list}");
    let (_, critical) = http_get(&server.address, "/advisories?severity=critical");
    assert!(critical.contains("Critical") && !critical.contains("<td>Low</td>"));
    let (_, hall) = http_get(&server.address, "/hall-of-fame");
    assert!(hall.contains("Ada Lovelace"), "{hall}");
    assert!(
        !hall.contains("Anonymous"),
        "reporters who asked for anonymity are not listed"
    );
    let (_, feed) = http_get(&server.address, "/advisories.atom");
    assert!(feed.contains("<entry>"), "{feed}");
    assert_eq!(sigterm(&mut server).code(), Some(0));

    // A second start keeps the year it made and gives the account a new password.
    let again = start(&["--demo"], &demo);
    let mut seen: Vec<String> = Vec::new();
    while !seen.last().is_some_and(|l| l.starts_with("DEMO:")) {
        seen.push(
            again
                .lines
                .recv_timeout(std::time::Duration::from_secs(30))
                .expect("the demo prints its account"),
        );
    }
    assert!(
        seen.iter()
            .any(|l| l == "The demo database is seeded already."),
        "{seen:?}"
    );
    assert_ne!(seen.last().unwrap(), &account, "a new password");
}
