//! The JSON API against its own OpenAPI document: schemathesis (PyPI, the `st` command) reads
//! `/api/openapi.json` of a real `serve --demo` on loopback and sends what the document allows
//! and what it forbids, with all of its checks: no 5xx, every answer's status, type and body as
//! documented, everything the document allows accepted and everything it forbids refused.
//! Bounded by examples per operation, a fixed seed and a time limit. Skipped, with a NOTE,
//! where `st` is not installed; `.ci/run` installs it.
//!
//! One thing is taken out of the document schemathesis reads: a new report's OpenPGP
//! properties (`encrypted_message`, `openpgp_key`). Whether one is acceptable is
//! cryptographic (a readable message, a usable key), which no JSON Schema can state, so
//! every string generated for them is rightly refused; their contract is tested with real
//! keys and GnuPG in crates/web/tests/it/openpgp.rs and crates/openpgp's tests.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::browser::skip_notice;
use crate::support::start;

/// Examples per operation and phase.
const EXAMPLES_MAX: &str = "40";
/// The whole run's bound.
const RUN_SECONDS_MAX: u64 = 240;

#[test]
fn the_api_keeps_to_its_openapi_document_under_schemathesis() {
    if Command::new("st")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_or(true, |s| !s.success())
    {
        skip_notice(format_args!(
            "skipping the API fuzzing: schemathesis is not installed (python3 -m pip install schemathesis)"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let many = "1000000";
    let server = start(
        &[
            "--demo",
            "--submissions-per-hour",
            many,
            "--submission-burst",
            many,
            "--lookups-per-hour",
            many,
            "--lookup-burst",
            many,
        ],
        &dir.path().join("demo"),
    );
    let (_, document) = crate::support::http_get(&server.address, "/api/openapi.json");
    let mut document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let taken = without_openpgp_properties(&mut document);
    assert!(
        taken > 0,
        "the new-report schemas name the OpenPGP properties"
    );
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, serde_json::to_vec(&document).unwrap()).unwrap();
    let base = format!("http://{}/", server.address);
    let mut child = Command::new("st")
        .args([
            "run",
            spec.to_str().unwrap(),
            "--url",
            &base,
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES_MAX,
        ])
        .args([
            "--seed",
            "20261201",
            "--no-color",
            "--request-timeout",
            "10",
        ])
        // Its example database and reports stay in the test's folder.
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("st runs");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let Ok(output) = rx.recv_timeout(Duration::from_secs(RUN_SECONDS_MAX)) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("schemathesis took longer than {RUN_SECONDS_MAX} s");
    };
    let status = child.wait().unwrap();
    let tail: String = {
        let lines: Vec<&str> = output.lines().collect();
        lines[lines.len().saturating_sub(120)..].join("\n")
    };
    assert!(status.success(), "schemathesis found problems:\n{tail}");
    // Every operation of the document, counted from the document itself.
    let (_, document) = crate::support::http_get(&server.address, "/api/openapi.json");
    let document: serde_json::Value = serde_json::from_str(&document).unwrap();
    let operations: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|item| item.as_object())
        .flat_map(|item| item.keys())
        .filter(|key| ["get", "put", "post", "delete", "patch"].contains(&key.as_str()))
        .count();
    assert!(operations >= 9, "{operations} operations in the document");
    assert!(
        output.contains(&format!("Tested: {operations}")),
        "every one of the {operations} operations was tested:\n{tail}"
    );
}

/// Takes `encrypted_message` and `openpgp_key` out of every schema's properties (see the
/// module's documentation); how many schemas had them.
fn without_openpgp_properties(value: &mut serde_json::Value) -> usize {
    let mut taken = 0;
    match value {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::Object(properties)) = map.get_mut("properties")
                && properties.remove("encrypted_message").is_some()
            {
                properties.remove("openpgp_key");
                taken += 1;
            }
            for child in map.values_mut() {
                taken += without_openpgp_properties(child);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                taken += without_openpgp_properties(item);
            }
        }
        _ => {}
    }
    taken
}
