//! Mail through a real SMTP server (aiosmtpd, driven by `smtp_server.py`): the team and the
//! reporter are told without report contents, and nothing is missed or sent twice when the
//! mail server is down, answers "try later" or refuses.
//!
//! Waiting for the SMTP server's files and for the jobs to settle polls with a deadline: these
//! are real external processes, with nothing to wait on but what they write.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{Server, http_request, postern, start, stdout, workspace};

const TITLE: &str = "Heap overflow in the PNG decoder CANARY-41c7";
const DESCRIPTION: &str = "Decoding crafted.png writes past the buffer CANARY-41c7";
const CONTACT: &str = "finder@example.net";
const DEADLINE: Duration = Duration::from_secs(60);

/// Whether aiosmtpd is installed; if not, says so where the test output shows it.
pub(crate) fn smtp_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: skipping the mail tests: python3 -m pip install aiosmtpd (.ci/run does)"
        );
    }
    ok
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The test SMTP server, stopped when dropped.
pub(crate) struct Smtp {
    child: Child,
}

impl Smtp {
    pub(crate) fn start(port: u16, dir: &Path, refuse: Option<(u16, u32)>) -> Smtp {
        Smtp::start_with(port, dir, refuse, &[])
    }

    /// With more options of `smtp_server.py` (`--drop N`, `--delay SECONDS`).
    fn start_with(port: u16, dir: &Path, refuse: Option<(u16, u32)>, extra: &[&str]) -> Smtp {
        let script = workspace().join("crates/postern/tests/it/smtp_server.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .arg(port.to_string())
            .arg(dir)
            .stdout(Stdio::piped());
        if let Some((code, times)) = refuse {
            command.args(["--refuse", &code.to_string(), "--times", &times.to_string()]);
        }
        command.args(extra);
        let mut child = command.spawn().expect("python3 runs");
        let out = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the SMTP server started");
        assert_eq!(line, format!("READY {port}"));
        Smtp { child }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The messages the SMTP server accepted, in order, with quoted-printable soft line breaks
/// and `=3D` undone (enough to read links and to look for leaked words).
pub(crate) fn mails(dir: &Path) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    names.sort();
    names
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

/// Polls (bounded) until `done` holds.
pub(crate) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `postern jobs list` on the data directory of a running server.
pub(crate) fn jobs(data: &Path, dead: bool) -> String {
    let data_arg = data.display().to_string();
    let mut args = vec!["jobs", "list", "--data", data_arg.as_str()];
    if dead {
        args.push("--dead");
    }
    let out = postern(data.parent().unwrap(), &args);
    assert_eq!(out.status.code(), Some(0));
    stdout(&out)
}

/// Whether every job has finished, except the deadline watches that wait, pending, for the
/// next reminder moment (days away for the promises of the built-in policy).
pub(crate) fn all_jobs_done(data: &Path) -> bool {
    let list = jobs(data, false);
    let rows: Vec<Vec<&str>> = list
        .lines()
        .map(|l| l.split_whitespace().collect())
        .filter(|w: &Vec<&str>| w.len() > 2 && w[2] != "team.deadline")
        .collect();
    rows.iter().all(|w| w[1] != "pending" && w[1] != "running")
        && rows.iter().any(|w| w[1] == "done")
}

/// Starts `serve` mailing through 127.0.0.1:`port`, and sets up the first admin (so that the
/// team has a member to tell), as a person would with the printed code.
fn serve_with_mail(data: &Path, port: u16) -> Server {
    serve_with_mail_and(data, port, &[])
}

/// `serve_with_mail` with more arguments.
pub(crate) fn serve_with_mail_and(data: &Path, port: u16, extra: &[&str]) -> Server {
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mut args = vec![
        "--smtp-url",
        &url,
        "--mail-from",
        "security@example.org",
        "--job-retry-base-ms",
        "100",
    ];
    args.extend_from_slice(extra);
    let server = start(&args, data);
    let code = server.line_after("Setup code");
    let (status, page) = http_request(&server.address, "GET", "/team/setup", &[], b"").unwrap();
    assert_eq!(status, 200);
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the setup form has a CSRF token");
    let form = format!(
        "csrf={csrf}&code={code}&password=correct+horse+battery+staple+9&confirm=correct+horse+battery+staple+9"
    );
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/team/setup",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .unwrap();
    assert!(status == 303 || status == 200, "{status} {reply}");
    server
}

fn submit(server: &Server, contact: Option<&str>) -> String {
    let mut body = serde_json::json!({"fields": {"title": TITLE, "description": DESCRIPTION,
        "impact": "memory corruption", "steps_to_reproduce": "open it", "proof_of_concept": "crafted.png"}});
    if let Some(contact) = contact {
        body["contact_email"] = contact.into();
    }
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let created: serde_json::Value = serde_json::from_str(&reply).unwrap();
    assert!(created["case_key"].is_string());
    created["id"].as_str().unwrap().to_owned()
}

#[test]
fn the_team_and_the_reporter_are_told_by_mail_without_the_report() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let port = free_port();
    let _smtp = Smtp::start(port, &inbox, None);
    let server = serve_with_mail(&data, port);
    let body = serde_json::json!({"fields": {"title": TITLE, "description": DESCRIPTION,
        "impact": "i", "steps_to_reproduce": "s", "proof_of_concept": "p"}, "contact_email": CONTACT});
    let (status, reply) = http_request(
        &server.address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let created: serde_json::Value = serde_json::from_str(&reply).unwrap();
    let id = created["id"].as_str().unwrap();
    let case_key = created["case_key"].as_str().unwrap();

    wait_until("two mails", || mails(&inbox).len() >= 2);
    wait_until("every job done", || all_jobs_done(&data));
    let mails = mails(&inbox);
    assert_eq!(mails.len(), 2, "one to the admin, one to the reporter");
    let to_team = mails
        .iter()
        .find(|m| m.starts_with("X-Test-Envelope-To: admin@localhost\r\n"))
        .expect("the admin is told");
    let to_reporter = mails
        .iter()
        .find(|m| m.starts_with(&format!("X-Test-Envelope-To: {CONTACT}\r\n")))
        .expect("the reporter gets a receipt");
    for mail in [to_team, to_reporter] {
        assert!(
            !mail.contains("CANARY-41c7"),
            "report contents in mail:\n{mail}"
        );
        assert!(!mail.contains(case_key), "the case key in mail:\n{mail}");
        assert!(mail.contains("From: security@example.org"), "{mail}");
        assert!(mail.contains("Auto-Submitted: auto-generated"), "{mail}");
        assert!(mail.contains("Message-ID: <"), "{mail}");
        assert!(
            mail.contains("text/plain") && mail.contains("text/html"),
            "{mail}"
        );
    }
    assert!(
        to_team.contains(&format!("New vulnerability report {id}")),
        "{to_team}"
    );
    assert!(
        to_team.contains(&format!("http://{}/team/reports/{id}", server.address)),
        "{to_team}"
    );
    assert!(
        to_reporter.contains(&format!("http://{}/track", server.address)),
        "{to_reporter}"
    );
    assert!(!to_reporter.contains("/team/"), "{to_reporter}");
}

#[test]
fn mail_waits_for_a_stopped_server_and_goes_out_once() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let port = free_port();
    // No SMTP server yet: submissions are still accepted.
    let server = serve_with_mail(&data, port);
    let id = submit(&server, None);
    wait_until("a failed attempt", || {
        jobs(&data, false)
            .lines()
            .any(|l| l.contains("  pending  mail") && !l.contains("attempts=0/"))
    });
    assert!(mails(&inbox).is_empty());
    let _smtp = Smtp::start(port, &inbox, None);
    wait_until("the mail", || !mails(&inbox).is_empty());
    wait_until("every job done", || all_jobs_done(&data));
    let mails = mails(&inbox);
    assert_eq!(mails.len(), 1, "sent once");
    assert!(mails[0].contains(&format!("New vulnerability report {id}")));
}

#[test]
fn a_try_later_answer_is_retried_and_a_refusal_waits_for_a_person() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let port = free_port();
    let smtp = Smtp::start(port, &inbox, Some((451, 1)));
    let server = serve_with_mail(&data, port);
    let first = submit(&server, None);
    wait_until("the mail after a 451", || !mails(&inbox).is_empty());
    wait_until("every job done", || all_jobs_done(&data));
    assert_eq!(mails(&inbox).len(), 1, "sent once");
    assert!(mails(&inbox)[0].contains(&first));
    let list = jobs(&data, false);
    assert!(
        list.lines()
            .any(|l| l.contains("  done     mail") && l.contains("attempts=2/")),
        "{list}"
    );

    // 550: given up at once, listed as dead, and sent when a person retries it.
    drop(smtp);
    let _smtp = Smtp::start(port, &inbox, Some((550, 1)));
    let second = submit(&server, None);
    wait_until("a dead job", || jobs(&data, true).contains("  dead"));
    let dead = jobs(&data, true);
    assert!(dead.contains("550"), "{dead}");
    assert!(dead.contains(&second), "{dead}");
    let job_id = dead.split_whitespace().next().unwrap().to_owned();
    let data_arg = data.display().to_string();
    let retried = postern(dir.path(), &["jobs", "retry", &job_id, "--data", &data_arg]);
    assert_eq!(retried.status.code(), Some(0));
    wait_until("the retried mail", || mails(&inbox).len() == 2);
    wait_until("every job done", || all_jobs_done(&data));
    assert!(mails(&inbox)[1].contains(&second));
    assert!(jobs(&data, true).contains("No jobs."));
    let again = postern(dir.path(), &["jobs", "retry", &job_id, "--data", &data_arg]);
    assert_eq!(again.status.code(), Some(2), "only dead jobs are retried");
}

#[test]
fn a_wrong_smtp_url_is_refused_without_repeating_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").display().to_string();
    for (url, says) in [
        (
            "smtp://mailer:hunter2@mail.example.org?tls=none",
            "plain text",
        ),
        ("ftp://mailer:hunter2@mail.example.org", "smtp://"),
    ] {
        let out = postern(
            dir.path(),
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data",
                &data,
                "--smtp-url",
                url,
            ],
        );
        let (out_text, err_text) = (stdout(&out), crate::support::stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{err_text}");
        assert!(err_text.contains(says), "{err_text}");
        assert!(
            !format!("{out_text}{err_text}").contains("hunter2"),
            "{err_text}"
        );
    }
    let out = postern(
        dir.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data",
            &data,
            "--smtp-url",
            "smtp://127.0.0.1:1?tls=none",
        ],
    );
    assert!(crate::support::stderr(&out).contains("--mail-from"));
}

#[test]
fn the_team_is_reminded_before_a_promised_deadline() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    // A promise of an acknowledgement within an hour, and a reminder lead just short of it:
    // the reminder is due two seconds after the report arrives.
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[project]\nname = \"Quick\"\n\n[[channels]]\nkind = \"web-form\"\n\n[response]\nacknowledge = \"1 hour\"\n",
    )
    .unwrap();
    let port = free_port();
    let _smtp = Smtp::start(port, &inbox, None);
    let policy_arg = policy.display().to_string();
    let server = serve_with_mail_and(
        &data,
        port,
        &["--policy", &policy_arg, "--reminder-leads", "59m 58s"],
    );
    let id = submit(&server, None);
    wait_until("the reminder", || {
        mails(&inbox)
            .iter()
            .any(|m| m.contains("Deadline near on report"))
    });
    wait_until("every job done", || all_jobs_done(&data));
    let mails = mails(&inbox);
    let reminders: Vec<&String> = mails
        .iter()
        .filter(|m| m.contains("Deadline near on report"))
        .collect();
    assert_eq!(reminders.len(), 1, "one reminder, once: {mails:?}");
    let reminder = reminders[0];
    assert!(
        reminder.starts_with("X-Test-Envelope-To: admin@localhost\r\n"),
        "{reminder}"
    );
    assert!(reminder.contains(&format!("report {id}")), "{reminder}");
    assert!(
        reminder.contains("acknowledge the report (1 hour) is due by"),
        "{reminder}"
    );
    assert!(!reminder.contains("CANARY-41c7"), "{reminder}");
    // The chain goes on to the missed-deadline check at the limit, an hour away.
    let pending = jobs(&data, false);
    assert!(
        pending
            .lines()
            .any(|l| l.contains("pending") && l.contains("team.deadline")),
        "{pending}"
    );
}

#[test]
fn two_instances_on_one_postgresql_database_send_each_notice_once() {
    if !smtp_available() {
        return;
    }
    let Ok(url) = std::env::var("POSTERN_TEST_POSTGRES") else {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: skipping two instances on PostgreSQL: POSTERN_TEST_POSTGRES not set"
        );
        return;
    };
    let schema = format!("mail_two_{}", std::process::id());
    let psql = |sql: &str| {
        // Quiet: a dropped schema's NOTICE lines (one per table) are not the test's output.
        let status = Command::new("psql")
            .args([url.as_str(), "-qc", sql])
            .env("PGOPTIONS", "-c client_min_messages=warning")
            .status()
            .expect("psql runs");
        assert!(status.success(), "{sql}");
    };
    psql(&format!("CREATE SCHEMA {schema}"));
    let database = format!("{url}?options[search_path]={schema}");
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let port = free_port();
    let _smtp = Smtp::start(port, &inbox, None);
    // Two instances share the database and the keyring (the same data directory).
    let first = serve_with_mail_and(&data, port, &["--database", &database]);
    let smtp_url = format!("smtp://127.0.0.1:{port}?tls=none");
    let second = start(
        &[
            "--smtp-url",
            &smtp_url,
            "--mail-from",
            "security@example.org",
            "--job-retry-base-ms",
            "100",
            "--database",
            &database,
        ],
        &data,
    );
    let reports = 20;
    let ids: Vec<String> = (0..reports)
        .map(|i| submit(if i % 2 == 0 { &first } else { &second }, Some(CONTACT)))
        .collect();
    // One mail to the admin and a receipt to the reporter for each report.
    wait_until("every notice", || mails(&inbox).len() >= 2 * reports);
    let data_arg = data.display().to_string();
    let settled = || {
        let out = postern(
            dir.path(),
            &["jobs", "list", "--data", &data_arg, "--database", &database],
        );
        let list = stdout(&out);
        list.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|w| w.len() > 2 && w[2] != "team.deadline")
            .all(|w| w[1] == "done")
    };
    wait_until("every job done", settled);
    let mails = mails(&inbox);
    assert_eq!(mails.len(), 2 * reports, "no notice sent twice");
    let mut message_ids: Vec<&str> = mails
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        })
        .collect();
    message_ids.sort_unstable();
    message_ids.dedup();
    assert_eq!(message_ids.len(), 2 * reports);
    for id in &ids {
        let about = mails
            .iter()
            .filter(|m| m.starts_with("X-Test-Envelope-To: admin@localhost\r\n"))
            .filter(|m| m.contains(id.as_str()))
            .count();
        assert_eq!(about, 1, "the team's notice about {id}, once");
    }
    drop(first);
    drop(second);
    psql(&format!("DROP SCHEMA {schema} CASCADE"));
}

#[test]
fn a_server_that_drops_connections_and_answers_slowly_still_gets_each_mail_once() {
    if !smtp_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (data, inbox) = (dir.path().join("data"), dir.path().join("inbox"));
    let port = free_port();
    // The first two messages: the connection is dropped mid-transaction; every answer takes a
    // second.
    let _smtp = Smtp::start_with(port, &inbox, None, &["--drop", "2", "--delay", "1"]);
    let server = serve_with_mail(&data, port);
    let ids: Vec<String> = (0..3).map(|_| submit(&server, None)).collect();
    wait_until("three mails", || mails(&inbox).len() >= 3);
    wait_until("every job done", || all_jobs_done(&data));
    let mails = mails(&inbox);
    assert_eq!(mails.len(), 3, "each once");
    for id in &ids {
        assert_eq!(mails.iter().filter(|m| m.contains(id.as_str())).count(), 1);
    }
    let list = jobs(&data, false);
    assert!(
        list.lines()
            .any(|l| l.contains("  done     mail") && !l.contains("attempts=1/")),
        "a dropped message was tried again: {list}"
    );
}
