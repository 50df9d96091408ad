//! `postern backup` while a real `serve` takes reports and messages from clients, then
//! `postern restore` into a fresh target: every report, message, advisory and audit event
//! acknowledged before the backup started is in the restored instance, readable with its case
//! key, and the restored log verifies against a checkpoint taken before the backup.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::{Server, http_request, postern, psql, reporter_view, start, stderr, stdout};

const CLIENTS: usize = 4;
/// Acknowledged writes before the backup starts (so that it has something to copy), reached by
/// counting, not by sleeping.
const WRITES_BEFORE_BACKUP: usize = 24;

/// Something the server acknowledged.
#[derive(Clone, Debug)]
enum Acked {
    Report {
        id: String,
        key: String,
        title: String,
    },
    Message {
        id: String,
        key: String,
        body: String,
    },
}

fn submit(address: &str, title: &str) -> Option<(String, String)> {
    let body = serde_json::json!({
        "fields": {
            "title": title,
            "description": format!("{title}: written while a backup runs"),
            "impact": "impact",
            "steps_to_reproduce": "steps",
            "proof_of_concept": "poc",
        },
    })
    .to_string();
    let (status, answer) = http_request(
        address,
        "POST",
        "/api/v1/reports",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )?;
    (status == 201).then_some(())?;
    let answer: serde_json::Value = serde_json::from_str(&answer).ok()?;
    Some((
        answer["id"].as_str()?.to_owned(),
        answer["case_key"].as_str()?.to_owned(),
    ))
}

fn write_message(address: &str, id: &str, key: &str, body: &str) -> bool {
    let bearer = format!("Bearer {key}");
    let json = serde_json::json!({ "body": body }).to_string();
    matches!(
        http_request(
            address,
            "POST",
            &format!("/api/v1/reports/{id}/messages"),
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &bearer)
            ],
            json.as_bytes(),
        ),
        Some((201, _))
    )
}

/// Clients that submit reports and write a message to each until `stop`.
fn load(
    address: &str,
    acked: &Arc<Mutex<Vec<Acked>>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..CLIENTS)
        .map(|client| {
            let (address, acked, stop) = (address.to_owned(), Arc::clone(acked), Arc::clone(stop));
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let title = format!("Report {n} of client {client}");
                    let Some((id, key)) = submit(&address, &title) else {
                        continue;
                    };
                    acked.lock().unwrap().push(Acked::Report {
                        id: id.clone(),
                        key: key.clone(),
                        title,
                    });
                    let body = format!("Message to report {n} of client {client}");
                    if write_message(&address, &id, &key, &body) {
                        acked.lock().unwrap().push(Acked::Message { id, key, body });
                    }
                }
            })
        })
        .collect()
}

fn publish_advisory(dir: &std::path::Path, storage: &[&str]) {
    let file = dir.join("advisory.json");
    let advisory = serde_json::json!({
        "id": "ACME-2026-0042",
        "project": "acme-widgets",
        "title": "Backed up before it was restored",
        "summary": "An advisory that must survive a backup",
        "details": "Upgrade to 2.4.1.",
        "severity": "high",
        "affected": [{"ecosystem": "PyPI", "package": "acme-widgets", "ranges": [{"introduced": "0", "fixed": "2.4.1"}]}],
        "modified": "2026-11-20T00:00:00Z"
    });
    std::fs::write(&file, advisory.to_string()).unwrap();
    let file_arg = file.display().to_string();
    for args in [
        vec!["advisory", "import", file_arg.as_str()],
        vec!["advisory", "publish", "ACME-2026-0042"],
    ] {
        let mut all = args;
        all.extend_from_slice(storage);
        let out = postern(dir, &all);
        assert_eq!(out.status.code(), Some(0), "{:?}: {}", all, stderr(&out));
    }
}

/// Every acknowledged write is on the restored server, readable with its case key.
fn check_restored(server: &Server, acked: &[Acked]) {
    for write in acked {
        let (id, key) = match write {
            Acked::Report { id, key, .. } | Acked::Message { id, key, .. } => (id, key),
        };
        let (status, body) = reporter_view(&server.address, id, key);
        assert_eq!(
            status, 200,
            "acknowledged report {id} is not in the restore: {body}"
        );
        let view: serde_json::Value = serde_json::from_str(&body).unwrap();
        match write {
            Acked::Report { title, .. } => assert_eq!(view["fields"]["title"], title.as_str()),
            Acked::Message { body: text, .. } => assert!(
                view["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["body"] == text.as_str()),
                "acknowledged message {text:?} is not in the restore: {body}"
            ),
        }
    }
    let (status, page) = http_request(
        &server.address,
        "GET",
        "/advisories/ACME-2026-0042",
        &[],
        b"",
    )
    .expect("the restored server answers");
    assert_eq!(status, 200, "the published advisory is not in the restore");
    assert!(page.contains("Backed up before it was restored"));
}

fn backup_under_load_restores_everything(source: &[&str], target: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let mut storage = vec!["--data", data_arg.as_str()];
    storage.extend_from_slice(source);
    let mut args = vec![
        "--submissions-per-hour",
        "1000000",
        "--submission-burst",
        "1000000",
        "--form-min-seconds",
        "0",
    ];
    args.extend_from_slice(source);
    let server = start(&args, &data);
    publish_advisory(dir.path(), &storage);

    let acked = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&server.address, &acked, &stop);
    // Counted, not slept: the clients go on writing while the backup runs.
    while acked.lock().unwrap().len() < WRITES_BEFORE_BACKUP {
        std::thread::yield_now();
    }
    let checkpoint = postern(
        dir.path(),
        &[&["audit", "checkpoint"][..], &storage].concat(),
    );
    assert_eq!(checkpoint.status.code(), Some(0), "{}", stderr(&checkpoint));
    let checkpoint_file = dir.path().join("checkpoint.json");
    std::fs::write(&checkpoint_file, &checkpoint.stdout).unwrap();
    let before_backup: Vec<Acked> = acked.lock().unwrap().clone();

    let backup = dir.path().join("backup");
    let backup_arg = backup.display().to_string();
    let taken = postern(
        dir.path(),
        &[
            &["backup", "--to", &backup_arg, "--with-keyring"][..],
            &storage,
        ]
        .concat(),
    );
    let during = acked.lock().unwrap().len() - before_backup.len();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    drop(server);
    assert_eq!(taken.status.code(), Some(0), "{}", stderr(&taken));
    let said = stdout(&taken);
    assert!(said.contains("The keyring IS in this backup"), "{said}");
    eprintln!(
        "backup: {} writes acknowledged before it started, {during} while it ran; {said}",
        before_backup.len()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).unwrap()).unwrap();
    let reports_before = before_backup
        .iter()
        .filter(|a| matches!(a, Acked::Report { .. }))
        .count() as u64;
    assert!(manifest["tables"]["reports"].as_u64().unwrap() >= reports_before);
    assert_eq!(manifest["keyring_included"], true);

    // Restore into a fresh data directory (and database, when one is given).
    let restored = dir.path().join("restored");
    let restored_arg = restored.display().to_string();
    let mut restored_storage = vec!["--data", restored_arg.as_str()];
    restored_storage.extend_from_slice(target);
    let restore = postern(
        dir.path(),
        &[&["restore", "--from", &backup_arg][..], &restored_storage].concat(),
    );
    assert_eq!(restore.status.code(), Some(0), "{}", stderr(&restore));
    assert!(stdout(&restore).contains("The backup's keyring was put in"));
    let again = postern(
        dir.path(),
        &[&["restore", "--from", &backup_arg][..], &restored_storage].concat(),
    );
    assert_eq!(
        again.status.code(),
        Some(1),
        "a second restore into the same target is refused"
    );
    assert!(
        stderr(&again).contains("restore only into an empty"),
        "{}",
        stderr(&again)
    );

    let checkpoint_arg = checkpoint_file.display().to_string();
    let verified = postern(
        dir.path(),
        &[
            &["audit", "verify", "--checkpoint", &checkpoint_arg][..],
            &restored_storage,
        ]
        .concat(),
    );
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(stdout(&verified).contains("extends the checkpoint"));

    let mut serve_args = vec!["--lookups-per-hour", "1000000", "--lookup-burst", "1000000"];
    serve_args.extend_from_slice(target);
    let server = start(&serve_args, &restored);
    check_restored(&server, &before_backup);
}

#[test]
fn a_backup_under_write_load_restores_every_acknowledged_write_on_sqlite() {
    backup_under_load_restores_everything(&[], &[]);
}

#[test]
fn a_backup_under_write_load_restores_every_acknowledged_write_on_postgres() {
    let Ok(url) = std::env::var("POSTERN_TEST_POSTGRES") else {
        eprintln!("NOTE: skipping PostgreSQL: POSTERN_TEST_POSTGRES not set");
        return;
    };
    let psql = |sql: &str| psql(&url, sql);
    let source = format!("backup_src_{}", std::process::id());
    let target = format!("backup_dst_{}", std::process::id());
    psql(&format!("CREATE SCHEMA {source}; CREATE SCHEMA {target}"));
    let source_url = format!("{url}?options[search_path]={source}");
    let target_url = format!("{url}?options[search_path]={target}");
    backup_under_load_restores_everything(
        &["--database", &source_url],
        &["--database", &target_url],
    );
    psql(&format!(
        "DROP SCHEMA {source} CASCADE; DROP SCHEMA {target} CASCADE"
    ));
}
