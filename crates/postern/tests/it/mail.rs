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

pub(crate) fn all_jobs_done(data: &Path) -> bool {
    let list = jobs(data, false);
    !list.contains("  pending  ") && !list.contains("  running  ") && list.contains("  done")
}

/// Starts `serve` mailing through 127.0.0.1:`port`, and sets up the first admin (so that the
/// team has a member to tell), as a person would with the printed code.
fn serve_with_mail(data: &Path, port: u16) -> Server {
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let server = start(
        &[
            "--smtp-url",
            &url,
            "--mail-from",
            "security@example.org",
            "--job-retry-base-ms",
            "100",
        ],
        data,
    );
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
