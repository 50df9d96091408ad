//! The demo's CSAF 2.0 provider directory, read as an aggregator reads it (provider metadata,
//! both distributions, each document with its hashes and its signature, which GnuPG verifies
//! with the keys the metadata lists), and every document checked by an
//! independent implementation of the standard's tests: the BSI's csaf-validator-lib from the
//! npm registry, run by `csaf_validate.mjs` (`.ci/run` installs it; without node or the
//! library that part says so and is skipped).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use sha2::Digest as _;

use crate::support::{Server, http_get, npm_global, start};

/// The address the demo is told it is served at: CSAF wants https everywhere (7.1.3), as a
/// real instance behind TLS is.
const PUBLIC: &str = "https://security.example.org";

/// A GET that must answer 200; its body.
fn get(server: &Server, path: &str) -> String {
    let (status, body) = http_get(&server.address, path);
    assert_eq!(status, "HTTP/1.1 200 OK", "GET {path}");
    body
}

fn get_json(server: &Server, path: &str) -> Value {
    let body = get(server, path);
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON: {e}\n{body}"))
}

/// The path below the public address of one of its URLs.
fn local(url: &str) -> &str {
    url.strip_prefix(PUBLIC)
        .unwrap_or_else(|| panic!("{url} is not below {PUBLIC}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The validator library's folder: `POSTERN_CSAF_VALIDATOR`, else the one npm installed
/// globally (`npm install -g @secvisogram/csaf-validator-lib`, as `.ci/run` does).
fn validator_library() -> Option<PathBuf> {
    let global = npm_global("@secvisogram/csaf-validator-lib");
    std::env::var_os("POSTERN_CSAF_VALIDATOR")
        .map(PathBuf::from)
        .into_iter()
        .chain(global)
        .find(|dir| dir.join("validateStrict.js").is_file())
}

#[test]
fn the_demos_csaf_directory_is_complete_and_every_document_passes_the_bsi_validator() {
    let data = tempfile::tempdir().unwrap();
    let server = start(
        &["--demo", "--public-url", PUBLIC],
        &data.path().join("demo"),
    );
    server.wait_for("Made the demo's OpenPGP keys");

    // security.txt leads to the provider (7.1.8), which lists both distributions.
    let security_txt = get(&server, "/.well-known/security.txt");
    let metadata_url = format!("{PUBLIC}/.well-known/csaf/provider-metadata.json");
    assert!(
        security_txt.contains(&format!("\nCSAF: {metadata_url}\n")),
        "{security_txt}"
    );
    let metadata = get_json(&server, local(&metadata_url));
    assert_eq!(metadata["canonical_url"], metadata_url.as_str());
    let directory = metadata["distributions"][0]["directory_url"]
        .as_str()
        .unwrap();
    assert_eq!(directory, format!("{PUBLIC}/.well-known/csaf/white/"));
    let rolie = &metadata["distributions"][1]["rolie"];
    let feed_url = rolie["feeds"][0]["url"].as_str().unwrap();
    assert_eq!(rolie["feeds"][0]["tlp_label"], "WHITE");

    // The directory: index.txt, changes.csv with the same documents, the latest change first.
    let index = get(&server, &format!("{}index.txt", local(directory)));
    let paths: Vec<&str> = index.lines().collect();
    assert!(paths.len() >= 5, "the demo publishes advisories: {index}");
    let changes = get(&server, &format!("{}changes.csv", local(directory)));
    let changed: Vec<(String, String)> = changes
        .lines()
        .map(|line| {
            let (path, at) = line.split_once(',').unwrap();
            (
                path.trim_matches('"').to_owned(),
                at.trim_matches('"').to_owned(),
            )
        })
        .collect();
    assert_eq!(
        changed
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<BTreeSet<_>>(),
        paths.iter().copied().collect::<BTreeSet<_>>()
    );
    assert!(changed.windows(2).all(|w| w[0].1 >= w[1].1), "{changes}");

    // The ROLIE feed lists each document with its hash files; the service document lists
    // the feed.
    let feed = get_json(&server, local(feed_url));
    let entries = feed["feed"]["entry"].as_array().unwrap();
    assert_eq!(entries.len(), paths.len());
    let service = get_json(&server, local(rolie["services"][0].as_str().unwrap()));
    assert_eq!(
        service["service"]["workspace"][0]["collection"][0]["href"],
        feed_url
    );
    let categories = get_json(&server, local(rolie["categories"][0].as_str().unwrap()));
    assert!(
        !categories["categories"]["category"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // The provider folder and the TLP:WHITE folder are listed (7.1.14).
    let listing = get(&server, "/.well-known/csaf/");
    for name in ["provider-metadata.json", "feed-tlp-white.json", "white/"] {
        assert!(
            listing.contains(&format!("href=\"/.well-known/csaf/{name}\"")),
            "{name} in {listing}"
        );
    }
    let white = get(&server, local(directory));

    // Every document: in its year's folder and listed there, its canonical URL its own, its
    // hash files right, and in the feed.
    let documents = tempfile::tempdir().unwrap();
    for path in &paths {
        let (year, file) = path.split_once('/').unwrap();
        assert!(white.contains(&format!("href=\"/.well-known/csaf/white/{year}/\"")));
        let year_listing = get(&server, &format!("/.well-known/csaf/white/{year}/"));
        let url = format!("{directory}{path}");
        let body = get(&server, local(&url));
        let doc: Value = serde_json::from_str(&body).unwrap();
        assert!(
            doc["document"]["tracking"]["initial_release_date"]
                .as_str()
                .unwrap()
                .starts_with(year),
            "{path} is in the folder of its initial release's year"
        );
        assert_eq!(doc["document"]["references"][0]["category"], "self");
        assert_eq!(doc["document"]["references"][0]["url"], url.as_str());
        for (extension, digest) in [
            ("sha256", hex(&sha2::Sha256::digest(body.as_bytes()))),
            ("sha512", hex(&sha2::Sha512::digest(body.as_bytes()))),
        ] {
            let hash = get(&server, &format!("{}.{extension}", local(&url)));
            assert_eq!(hash, format!("{digest}  {file}\n"), "{path}.{extension}");
            assert!(year_listing.contains(&format!("{file}.{extension}\"")));
        }
        let entry = entries
            .iter()
            .find(|e| e["content"]["src"] == url.as_str())
            .unwrap_or_else(|| panic!("{url} is not in the feed"));
        let hashes: Vec<&str> = entry["link"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["rel"] == "hash")
            .map(|l| l["href"].as_str().unwrap())
            .collect();
        assert_eq!(hashes, [format!("{url}.sha256"), format!("{url}.sha512")]);
        assert_eq!(entry["id"], doc["document"]["tracking"]["id"]);
        std::fs::write(documents.path().join(file), &body).unwrap();
    }

    // Signed (7.1.19) by keys the metadata lists (7.1.20): GnuPG itself checks every one.
    assert_eq!(metadata["role"], "csaf_trusted_provider");
    let keys = metadata["public_openpgp_keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    let gnupg = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        gnupg.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    for key in keys {
        let url = key["url"].as_str().unwrap();
        let file = gnupg.path().join("key.asc");
        std::fs::write(&file, get(&server, local(url))).unwrap();
        gpg(gnupg.path(), &["--import"], &file);
    }
    let signatures = tempfile::tempdir().unwrap();
    for path in &paths {
        let file = path.split_once('/').unwrap().1;
        let url = format!("{directory}{path}");
        let entry = entries
            .iter()
            .find(|e| e["content"]["src"] == url.as_str())
            .unwrap();
        assert!(
            entry["link"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["rel"] == "signature" && l["href"] == format!("{url}.asc")),
            "the feed links {url}.asc"
        );
        let signature = signatures.path().join(format!("{file}.asc"));
        std::fs::write(&signature, get(&server, &format!("{}.asc", local(&url)))).unwrap();
        gpg(
            gnupg.path(),
            &["--verify", signature.to_str().unwrap()],
            &documents.path().join(file),
        );
    }

    validate_independently(documents.path(), paths.len());
}

/// Runs GnuPG in its own home on one file, and expects it to succeed.
fn gpg(home: &std::path::Path, args: &[&str], file: &std::path::Path) {
    let output = Command::new("gpg")
        .args(["--batch", "--no-tty", "--homedir"])
        .arg(home)
        .args(args)
        .arg(file)
        .output()
        .expect("gpg runs");
    assert!(
        output.status.success(),
        "gpg {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the BSI's validator library over every document: no finding of the mandatory or
/// optional tests; the informative ones are printed.
fn validate_independently(documents: &std::path::Path, count: usize) {
    let Some(library) = validator_library() else {
        eprintln!(
            "NOTE: skipping the independent CSAF validation: @secvisogram/csaf-validator-lib is not installed (npm install -g @secvisogram/csaf-validator-lib, or set POSTERN_CSAF_VALIDATOR to its folder)"
        );
        return;
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/csaf_validate.mjs");
    let output = match Command::new("node")
        .arg(&script)
        .arg(&library)
        .arg(documents)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            eprintln!("NOTE: skipping the independent CSAF validation: node does not run ({e})");
            return;
        }
    };
    assert!(
        output.status.success(),
        "the validator script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(results.len(), count, "every document was validated");
    let mut failures = Vec::new();
    for result in &results {
        for f in result["findings"].as_array().unwrap() {
            let line = format!(
                "{}: {} {} ({}): {} at {}",
                result["file"].as_str().unwrap(),
                f["set"].as_str().unwrap(),
                f["test"].as_str().unwrap(),
                f["kind"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            );
            if f["set"] == "informative" {
                eprintln!("informative: {line}");
            } else {
                failures.push(line);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the BSI validator found, in the mandatory and optional tests:\n{}",
        failures.join("\n")
    );
}
