//! `postern policy check|render` and `postern init`, as a user runs them.

use crate::support::{postern, stderr, stdout, workspace};

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    name.to_owned()
}

const VALID: &str = r#"[project]
name = "Acme"

[[channels]]
kind = "email"
email = "security@acme.example.org"

[response]
acknowledge = "2 days"
"#;

#[test]
fn the_example_policy_checks_and_renders() {
    let root = workspace();
    let output = postern(
        &root,
        &["policy", "check", "examples/policies/example.toml"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("examples/policies/example.toml: valid (0 warning(s))"));

    // A policy without a web form is told what that means, as a note that fails nothing.
    let seed = postern(
        &root,
        &["policy", "check", "examples/policies/openinteractions.toml"],
    );
    assert_eq!(seed.status.code(), Some(0), "{}", stderr(&seed));
    let said = stderr(&seed);
    assert!(
        said.contains(": note: no kind = \"web-form\" channel: Postern serves no report form")
            && said.contains(
                "examples/policies/openinteractions.toml: valid (1 warning(s), 1 note(s))"
            ),
        "{said}"
    );

    let txt = postern(
        &root,
        &[
            "policy",
            "render",
            "examples/policies/example.toml",
            "--format",
            "security-txt",
        ],
    );
    assert_eq!(txt.status.code(), Some(0));
    let txt = stdout(&txt);
    assert!(
        txt.contains("Contact: mailto:security@widgets.example.org\n"),
        "{txt}"
    );
    assert_eq!(txt.matches("\nExpires: ").count(), 1, "{txt}");

    let md = stdout(&postern(
        &root,
        &["policy", "render", "examples/policies/example.toml"],
    ));
    assert!(
        md.starts_with("# Security Policy for Acme Widgets\n"),
        "{md}"
    );

    let json = postern(
        &root,
        &[
            "policy",
            "render",
            "examples/policies/example.toml",
            "--format",
            "json",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).expect("valid JSON");
    assert_eq!(value["project"]["slug"], "acme-widgets");
    assert_eq!(value["response"]["plan"]["within"], "1-2 weeks");
    assert_eq!(value["response"]["plan"]["starts"], "receipt");
}

#[test]
fn errors_are_printed_as_file_line_column_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let source = VALID.replace("acknowledge = ", "acknowlege = ");
    let name = write(&dir, "p.toml", source.as_bytes());
    let output = postern(dir.path(), &["policy", "check", &name]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with("p.toml:9:1: error: unknown key `acknowlege` in `response`: did you mean `acknowledge`?\n"),
        "{err}"
    );
    assert!(err.contains("p.toml: invalid (1 error(s), 0 warning(s))"));
    let render = postern(dir.path(), &["policy", "render", &name]);
    assert_eq!(render.status.code(), Some(1));
    assert!(
        render.stdout.is_empty(),
        "nothing rendered from an invalid policy"
    );
}

#[test]
fn hostile_files_get_located_errors_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut huge = VALID.as_bytes().to_vec();
    huge.resize(2 * 1024 * 1024, b'#');
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "empty.toml",
            Vec::new(),
            "empty.toml:1:1: error: the policy file is empty",
        ),
        (
            "binary.toml",
            vec![b'a', b'=', 0xC3, 0x28],
            "binary.toml:1:3: error: the file is not UTF-8 text",
        ),
        (
            "not-toml.toml",
            b"<html>hello</html>\n".to_vec(),
            "not-toml.toml:1:1: error: this is not valid TOML",
        ),
        (
            "types.toml",
            b"project = 3\nchannels = \"x\"\n".to_vec(),
            "types.toml:1:11: error: `project` must be a table",
        ),
        (
            "huge.toml",
            huge,
            "huge.toml:1:1: error: the file is larger than the 1048576 bytes",
        ),
    ];
    for (name, bytes, expected) in cases {
        let name = write(&dir, name, &bytes);
        let output = postern(dir.path(), &["policy", "check", &name]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(expected),
            "{name}: expected `{expected}` in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let missing = postern(dir.path(), &["policy", "check", "no-such-file.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot open policy file no-such-file.toml"));
}

#[test]
fn warnings_keep_exit_0_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    let name = write(&dir, "w.toml", VALID.as_bytes());
    let output = postern(dir.path(), &["policy", "check", &name]);
    assert_eq!(output.status.code(), Some(0));
    let err = stderr(&output);
    assert!(
        err.contains("w.toml:1:1: warning: no [[supported_versions]]"),
        "{err}"
    );
    let denied = postern(dir.path(), &["policy", "check", "--deny-warnings", &name]);
    assert_eq!(denied.status.code(), Some(1));
}

#[test]
fn init_writes_a_policy_that_checks_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "init",
        "--no-input",
        "--name",
        "Rocket Lab",
        "--email",
        "sec@rocket.example.org",
        "--url",
        "https://rocket.example.org",
        "-o",
        "policy.toml",
    ];
    let output = postern(dir.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let check = postern(
        dir.path(),
        &["policy", "check", "--deny-warnings", "policy.toml"],
    );
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    let text = std::fs::read_to_string(dir.path().join("policy.toml")).unwrap();
    assert!(text.contains("name = \"Rocket Lab\""));
    assert!(
        text.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 5,
        "commented"
    );

    let again = postern(dir.path(), &args);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"));

    let bad = postern(
        dir.path(),
        &[
            "init",
            "--no-input",
            "--name",
            "X",
            "--email",
            "nope",
            "-o",
            "bad.toml",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("is not a valid email address"),
        "{}",
        stderr(&bad)
    );
    assert!(!dir.path().join("bad.toml").exists());

    let none = postern(dir.path(), &["init", "--no-input", "-o", "none.toml"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("--name"));
}
