//! Mail in over IMAP, from the outside: `serve`'s IMAP arguments are checked before anything
//! starts, with errors that name what is wrong and never show a password; and the Dovecot
//! harness (dovecot.rs) that the tests of mail in use. The fetcher itself is tested against
//! Dovecot inside the binary (crates/postern/src/mail_in/against_dovecot.rs), which includes
//! the same harness.

use std::process::{Command, Output};

use crate::dovecot::{Dovecot, PASSWORD, USER};
use crate::support::stderr;

/// `postern serve ARGS` with `env`, and none of the IMAP settings of the test's environment.
fn serve(args: &[&str], env: &[(&str, &str)]) -> Output {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_postern"));
    command
        .arg("serve")
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .args(args)
        .current_dir(data.path());
    for name in [
        "POSTERN_POLICY",
        "POSTERN_IMAP_URL",
        "POSTERN_IMAP_PASSWORD",
        "POSTERN_IMAP_PASSWORD_FILE",
        "POSTERN_IMAP_AFTER",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("postern runs")
}

#[test]
fn serve_refuses_an_imap_url_with_a_password_and_does_not_show_it() {
    let url = "imaps://security:hunter2-CANARY@mail.example.org/INBOX";
    for out in [
        serve(&["--imap-url", url], &[]),
        serve(&[], &[("POSTERN_IMAP_URL", url)]),
    ] {
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--imap-url (POSTERN_IMAP_URL): the IMAP URL holds a password"),
            "{err}"
        );
        assert!(
            err.contains("POSTERN_IMAP_PASSWORD"),
            "says where it goes: {err}"
        );
        assert!(!err.contains("hunter2-CANARY"), "{err}");
    }
}

#[test]
fn serve_refuses_plain_imap_to_another_machine_and_a_wrong_imap_after() {
    let out = serve(
        &[
            "--imap-url",
            "imap://security@mail.example.org/INBOX?tls=none",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("loopback"), "{}", stderr(&out));
    let out = serve(
        &[
            "--imap-url",
            "imaps://security@mail.example.org/",
            "--imap-after",
            "archive",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("flag, move:FOLDER or delete"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn serve_wants_the_imap_password_once_and_in_a_private_file() {
    let url = "imaps://security@mail.example.org/";
    let out = serve(&["--imap-url", url], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("set POSTERN_IMAP_PASSWORD or give --imap-password-file"),
        "{}",
        stderr(&out)
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("imap-password");
    std::fs::write(&file, "hunter2-CANARY\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let file = file.to_str().unwrap();
    let shared = serve(&["--imap-url", url, "--imap-password-file", file], &[]);
    assert_eq!(shared.status.code(), Some(2));
    assert!(stderr(&shared).contains("chmod 600"), "{}", stderr(&shared));
    let twice = serve(
        &["--imap-url", url, "--imap-password-file", file],
        &[("POSTERN_IMAP_PASSWORD", "hunter2-CANARY")],
    );
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("given twice"), "{}", stderr(&twice));
    for out in [&shared, &twice] {
        assert!(!stderr(out).contains("hunter2-CANARY"), "{}", stderr(out));
    }
}

#[test]
fn the_dovecot_harness_takes_mail_by_append_and_shows_uids_and_flags() {
    let Some(dovecot) = Dovecot::start("the_dovecot_harness_takes_mail") else {
        return;
    };
    assert_eq!(
        dovecot.url("INBOX"),
        format!("imap://{USER}@127.0.0.1:{}/INBOX?tls=none", dovecot.port())
    );
    let message = b"From: finder@example.net\r\nSubject: hi\r\n\r\nbody\r\n";
    let first = dovecot.append("INBOX", message);
    let second = dovecot.append("INBOX", message);
    let archived = dovecot.append("Archive", message);
    let mut client = dovecot.client();
    assert_eq!(client.uids("INBOX"), [first, second]);
    assert_eq!(client.uids("Archive"), [archived]);
    assert!(client.mailboxes().contains(&"Archive".to_owned()));
    assert!(!client.flags("INBOX", first).contains(&"\\Seen".to_owned()));
    let mut stranger = crate::dovecot::Client::connect(dovecot.port()).unwrap();
    let refused = stranger.login(USER, "not-the-password").unwrap_err();
    assert!(refused.contains("AUTHENTICATIONFAILED"), "{refused}");
    assert!(stranger.login(USER, PASSWORD).is_ok());
    assert!(dovecot.log().contains("starting up"), "{}", dovecot.log());
    assert!(dovecot.dir().join("dovecot.conf").exists());
}
