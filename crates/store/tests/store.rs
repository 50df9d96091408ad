//! The store on real databases: every test runs on SQLite, and on PostgreSQL when
//! `POSTERN_TEST_POSTGRES` names a server (each run in a fresh schema, dropped afterwards).

use jiff::Timestamp;
use postern_core::intake::ValidSubmission;
use postern_core::report::{CaseKey, ReportId, ReportStatus};
use postern_store::{NewAttachment, Store, StoreConfig, StoreError};

const CANARY: &str = "CANARY-7f3a9c-do-not-store-in-plain-text";

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

struct Backend {
    name: &'static str,
    store: Store,
    dir: tempfile::TempDir,
    schema: Option<(String, sqlx::PgPool)>,
}

impl Backend {
    async fn drop_schema(self) {
        self.store.close().await;
        if let Some((schema, admin)) = self.schema {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&admin)
                .await
                .unwrap();
        }
    }
}

/// SQLite always; PostgreSQL when configured, else a visible note.
async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(
        &StoreConfig {
            database_url: None,
            postgres_schema: None,
        },
        dir.path(),
    )
    .await
    .unwrap();
    let mut out = vec![Backend {
        name: "sqlite",
        store: sqlite,
        dir,
        schema: None,
    }];
    match std::env::var("POSTERN_TEST_POSTGRES") {
        Ok(url) => {
            let admin = sqlx::PgPool::connect(&url)
                .await
                .expect("POSTERN_TEST_POSTGRES reachable");
            let schema = format!(
                "test_{}",
                data_encoding::HEXLOWER.encode(&postern_store::vault::random_bytes::<6>().unwrap())
            );
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&admin)
                .await
                .unwrap();
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(
                &StoreConfig {
                    database_url: Some(url),
                    postgres_schema: Some(schema.clone()),
                },
                dir.path(),
            )
            .await
            .unwrap();
            out.push(Backend {
                name: "postgres",
                store,
                dir,
                schema: Some((schema, admin)),
            });
        }
        Err(_) => skip_notice(format_args!(
            "skipping PostgreSQL: POSTERN_TEST_POSTGRES not set"
        )),
    }
    out
}

fn submission(title: &str) -> ValidSubmission {
    ValidSubmission {
        fields: vec![
            ("title".into(), title.into()),
            (
                "description".into(),
                format!("details {CANARY} in the description"),
            ),
        ],
        scope_category: Some("rce".into()),
        contact_email: Some(format!("{}@example.org", CANARY.to_lowercase())),
        credit_name: Some(format!("Name {CANARY}")),
    }
}

fn attachment() -> NewAttachment {
    NewAttachment {
        filename: "poc.py".into(),
        content_type: "text/x-python".into(),
        bytes: format!("print('{CANARY}')").into_bytes(),
    }
}

#[tokio::test]
async fn reports_round_trip_with_messages_and_attachments() {
    for b in backends().await {
        let s = &b.store;
        let (id, key) = s
            .create_report(
                "acme",
                &submission("RCE"),
                &[attachment()],
                at("2026-11-23T10:00:00Z"),
            )
            .await
            .unwrap();
        s.add_reporter_message(Some(&id), &key, "any news?", at("2026-11-23T11:00:00Z"))
            .await
            .unwrap();
        let view = s.reporter_view(Some(&id), &key).await.unwrap();
        assert_eq!(view.id, id, "{}", b.name);
        assert_eq!(view.project, "acme");
        assert_eq!(view.status, ReportStatus::Received);
        assert_eq!(view.received_at, at("2026-11-23T10:00:00Z"));
        assert_eq!(view.submission, submission("RCE"));
        assert_eq!(view.messages.len(), 1);
        assert_eq!(view.messages[0].body, "any news?");
        assert_eq!(view.attachments.len(), 1);
        assert_eq!(view.attachments[0].filename, "poc.py");
        let (info, bytes) = s
            .reporter_attachment(Some(&id), &key, &view.attachments[0].id)
            .await
            .unwrap();
        assert_eq!(info.size as usize, bytes.len());
        assert_eq!(&bytes[..], attachment().bytes.as_slice());
        // The case key alone opens the case, as on the /track page.
        assert_eq!(s.reporter_view(None, &key).await.unwrap().id, id);
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_wrong_key_and_a_missing_report_look_the_same() {
    for b in backends().await {
        let s = &b.store;
        let (id, key) = s
            .create_report("acme", &submission("a"), &[], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap();
        let (other_id, _) = s
            .create_report("acme", &submission("b"), &[], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap();
        let wrong = CaseKey::from_random([9; 20]);
        let missing = ReportId::from_random([1; 16]);
        let errors = [
            s.reporter_view(Some(&id), &wrong).await.unwrap_err(),
            s.reporter_view(Some(&missing), &key).await.unwrap_err(),
            s.reporter_view(Some(&other_id), &key).await.unwrap_err(),
            s.add_reporter_message(Some(&id), &wrong, "x", at("2026-11-23T10:00:00Z"))
                .await
                .unwrap_err(),
        ];
        for e in errors {
            assert!(matches!(e, StoreError::NotFound), "{}: {e:?}", b.name);
            assert_eq!(e.to_string(), "no such report");
        }
        b.drop_schema().await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn nothing_submitted_is_readable_at_rest() {
    for b in backends().await {
        let s = &b.store;
        let (id, key) = s
            .create_report(
                "acme",
                // The title too: it is sealed in a column of its own.
                &submission(&format!("Title {CANARY}")),
                &[attachment()],
                at("2026-11-23T10:00:00Z"),
            )
            .await
            .unwrap();
        s.add_reporter_message(
            Some(&id),
            &key,
            &format!("msg {CANARY}"),
            at("2026-11-23T10:00:01Z"),
        )
        .await
        .unwrap();
        let needles: Vec<Vec<u8>> = vec![
            CANARY.as_bytes().to_vec(),
            CANARY.to_lowercase().into_bytes(),
            data_encoding::HEXLOWER
                .encode(CANARY.as_bytes())
                .into_bytes(),
            key.reveal().into_bytes(),
        ];
        match b.name {
            "sqlite" => {
                // Before a checkpoint the rows live in the WAL; after it, in the main file.
                let wal = assert_files_hold_none_of(b.dir.path(), &needles);
                assert!(
                    wal > 0,
                    "the write-ahead log was read while it held the rows"
                );
                execute(&b, "PRAGMA wal_checkpoint(TRUNCATE)").await;
                assert_files_hold_none_of(b.dir.path(), &needles);
                b.store.close().await;
                assert_files_hold_none_of(b.dir.path(), &needles);
            }
            _ => {
                // Every column of every table as text, as `pg_dump` would show it.
                let (schema, admin) = b.schema.as_ref().unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
                )
                .bind(schema)
                .fetch_all(admin)
                .await
                .unwrap();
                assert!(tables.len() >= 4, "{tables:?}");
                for table in tables {
                    let dump: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COALESCE(string_agg(t::text, ''), '') FROM {schema}.{table} t"
                    )))
                    .fetch_one(admin)
                    .await
                    .unwrap();
                    // The tables this test filled must have been read; team tables stay empty.
                    let filled = ["reports", "messages", "attachments", "audit_events"];
                    assert!(
                        !dump.is_empty() || !filled.contains(&table.as_str()),
                        "{table} is empty"
                    );
                    for n in &needles {
                        assert!(!contains(dump.as_bytes(), n), "{table} holds a secret");
                    }
                }
            }
        }
        b.drop_schema().await;
    }
}

/// Reads every file of the SQLite database (main file, `-wal`, `-shm`) and fails if one holds a
/// needle. Returns the size of the write-ahead log.
fn assert_files_hold_none_of(dir: &std::path::Path, needles: &[Vec<u8>]) -> usize {
    let mut wal = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(postern_store::SQLITE_FILE) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        files += 1;
        if name.ends_with("-wal") {
            wal = bytes.len();
        }
        for n in needles {
            assert!(
                !contains(&bytes, n),
                "{} holds a secret in plain text",
                path.display()
            );
        }
    }
    assert!(files > 0, "the database files were read");
    wal
}

/// Runs SQL straight on the database, behind the store's back, as someone with file or SQL
/// access would (on PostgreSQL inside the test's schema).
async fn execute(b: &Backend, sql: &str) {
    use sqlx::Connection as _;
    match &b.schema {
        Some((schema, admin)) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "BEGIN; SET LOCAL search_path TO {schema}; {sql}; COMMIT;"
            )))
            .execute(admin)
            .await
            .unwrap();
        }
        None => {
            let mut c = sqlx::SqliteConnection::connect(&format!(
                "sqlite:{}",
                b.dir.path().join(postern_store::SQLITE_FILE).display()
            ))
            .await
            .unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&mut c)
                .await
                .unwrap();
            c.close().await.unwrap();
        }
    }
}

/// Counts rows straight in the database.
async fn count_rows(b: &Backend, table: &str) -> i64 {
    use sqlx::Connection as _;
    match &b.schema {
        Some((schema, admin)) => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {schema}.{table}"
        )))
        .fetch_one(admin)
        .await
        .unwrap(),
        None => {
            let mut c = sqlx::SqliteConnection::connect(&format!(
                "sqlite:{}",
                b.dir.path().join(postern_store::SQLITE_FILE).display()
            ))
            .await
            .unwrap();
            let n =
                sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                    .fetch_one(&mut c)
                    .await
                    .unwrap();
            c.close().await.unwrap();
            n
        }
    }
}

#[tokio::test]
async fn ciphertext_moved_to_another_field_or_report_does_not_decrypt() {
    for b in backends().await {
        let s = &b.store;
        let t = at("2026-11-23T10:00:00Z");
        let mut cases = Vec::new();
        for i in 0..5 {
            let (id, key) = s
                .create_report("acme", &submission(&format!("m{i}")), &[attachment()], t)
                .await
                .unwrap();
            for body in ["first", "second"] {
                s.add_reporter_message(Some(&id), &key, body, t)
                    .await
                    .unwrap();
            }
            cases.push((id, key));
        }
        let [donor, to_content, to_meta, swapped, rewrapped] = &cases[..] else {
            unreachable!()
        };
        // Within one report, under the same data key: only the associated data stops these.
        execute(&b, &format!(
            "UPDATE reports SET content = (SELECT body FROM messages WHERE report_id = '{0}' ORDER BY id LIMIT 1) WHERE id = '{0}'",
            to_content.0
        )).await;
        execute(
            &b,
            &format!(
                "UPDATE attachments SET meta = content WHERE report_id = '{}'",
                to_meta.0
            ),
        )
        .await;
        execute(&b, &format!(
            "UPDATE messages SET body = (SELECT m.body FROM messages m WHERE m.report_id = '{0}' AND m.id <> messages.id) WHERE report_id = '{0}'",
            swapped.0
        )).await;
        // Across reports: another report's wrapped data key.
        execute(&b, &format!(
            "UPDATE reports SET wrapped_key = (SELECT r.wrapped_key FROM reports r WHERE r.id = '{}') WHERE id = '{}'",
            donor.0, rewrapped.0
        )).await;
        for (what, (id, key)) in [
            ("message body as report content", to_content),
            ("attachment content as its metadata", to_meta),
            ("two messages swapped", swapped),
            ("another report's wrapped key", rewrapped),
        ] {
            let error = s.reporter_view(Some(id), key).await.unwrap_err();
            assert!(
                matches!(error, StoreError::Crypto(_)),
                "{}: {what}: {error:?}",
                b.name
            );
        }
        let view = s.reporter_view(Some(&donor.0), &donor.1).await.unwrap();
        assert_eq!(view.messages.len(), 2, "the untouched report still reads");
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_failing_write_fails_alone_and_leaves_nothing_behind() {
    // A trigger refuses every second attachment; a report that has one fails as a whole (its
    // first attachment is not kept either), while the reports committed beside it (on SQLite,
    // in the same group commit) succeed.
    for b in backends().await {
        let trigger = match b.name {
            "sqlite" => {
                "CREATE TRIGGER refuse_second BEFORE INSERT ON attachments WHEN NEW.ordinal = 1 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            }
            _ => {
                "CREATE FUNCTION refuse_second() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN RAISE EXCEPTION 'refused by the test'; END $f$; \
                  CREATE TRIGGER refuse_second BEFORE INSERT ON attachments FOR EACH ROW WHEN (NEW.ordinal = 1) EXECUTE FUNCTION refuse_second()"
            }
        };
        execute(&b, trigger).await;
        let mut tasks = Vec::new();
        for i in 0..64 {
            let s = b.store.clone();
            let attachments = vec![attachment(); if i % 2 == 0 { 1 } else { 2 }];
            tasks.push(tokio::spawn(async move {
                s.create_report(
                    "acme",
                    &submission(&format!("f{i}")),
                    &attachments,
                    at("2026-11-23T10:00:00Z"),
                )
                .await
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            match (i % 2, t.await.unwrap()) {
                (0, Ok((id, key))) => {
                    let view = b.store.reporter_view(Some(&id), &key).await.unwrap();
                    assert_eq!(view.submission.fields[0].1, format!("f{i}"));
                }
                (1, Err(StoreError::Database(error))) => {
                    assert!(!error.to_string().contains(CANARY));
                }
                (_, other) => panic!("{}: write {i}: {other:?}", b.name),
            }
        }
        assert_eq!(b.store.count_reports().await.unwrap(), 32, "{}", b.name);
        assert_eq!(count_rows(&b, "attachments").await, 32, "no orphans");
        let (events, _) = b.store.verify_audit().await.unwrap();
        assert_eq!(events, 32, "one event per stored report, an unbroken chain");
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn ciphertext_moved_to_another_row_does_not_decrypt() {
    for b in backends().await {
        let s = &b.store;
        let (a, _) = s
            .create_report("acme", &submission("a"), &[], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap();
        let (victim, victim_key) = s
            .create_report("acme", &submission("b"), &[], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap();
        let sql = "UPDATE reports SET content = (SELECT content FROM reports WHERE id = $1) WHERE id = $2";
        match b.name {
            "sqlite" => {
                let pool = sqlx::SqlitePool::connect(&format!(
                    "sqlite:{}",
                    b.dir.path().join("postern.sqlite3").display()
                ))
                .await
                .unwrap();
                sqlx::query(sql)
                    .bind(a.as_str())
                    .bind(victim.as_str())
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            _ => {
                let (schema, admin) = b.schema.as_ref().unwrap();
                let sql = sql.replace("reports", &format!("{schema}.reports"));
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(a.as_str())
                    .bind(victim.as_str())
                    .execute(admin)
                    .await
                    .unwrap();
            }
        }
        let error = s
            .reporter_view(Some(&victim), &victim_key)
            .await
            .unwrap_err();
        assert!(
            matches!(error, StoreError::Crypto(_)),
            "{}: {error:?}",
            b.name
        );
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn rotation_rewraps_every_report_and_retires_the_old_key() {
    for b in backends().await {
        let s = &b.store;
        let mut cases = Vec::new();
        for i in 0..5 {
            cases.push(
                s.create_report(
                    "acme",
                    &submission(&format!("r{i}")),
                    &[attachment()],
                    at("2026-11-23T10:00:00Z"),
                )
                .await
                .unwrap(),
            );
        }
        let old = s.vault().active_key_id();
        let (new, rewrapped, removed) = s.rotate_master_key().await.unwrap();
        assert_ne!(old, new);
        assert_eq!(rewrapped, 5, "{}", b.name);
        assert!(
            removed.is_empty(),
            "the key active until now stays for in-flight writes"
        );
        assert_eq!(s.vault().key_ids(), vec![old.clone(), new.clone()]);
        let (newer, rewrapped, removed) = s.rotate_master_key().await.unwrap();
        assert_eq!(rewrapped, 5);
        assert_eq!(removed, vec![old.clone()], "superseded and unused: gone");
        assert_eq!(s.vault().key_ids(), vec![new.clone(), newer.clone()]);
        for (id, key) in &cases {
            let view = s.reporter_view(Some(id), key).await.unwrap();
            assert_eq!(view.attachments.len(), 1);
        }
        // A second store process on the same data directory reads the rotated keyring.
        if b.name == "sqlite" {
            let again = Store::open(
                &StoreConfig {
                    database_url: None,
                    postgres_schema: None,
                },
                b.dir.path(),
            )
            .await
            .unwrap();
            assert!(
                again
                    .reporter_view(Some(&cases[0].0), &cases[0].1)
                    .await
                    .is_ok()
            );
        }
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn concurrent_submissions_are_all_committed() {
    for b in backends().await {
        let mut tasks = Vec::new();
        for i in 0..64 {
            let s = b.store.clone();
            tasks.push(tokio::spawn(async move {
                s.create_report(
                    "acme",
                    &submission(&format!("c{i}")),
                    &[],
                    at("2026-11-23T10:00:00Z"),
                )
                .await
            }));
        }
        let mut cases = Vec::new();
        for t in tasks {
            cases.push(t.await.unwrap().unwrap());
        }
        assert_eq!(b.store.count_reports().await.unwrap(), 64, "{}", b.name);
        for (i, (id, key)) in cases.iter().enumerate() {
            let view = b.store.reporter_view(Some(id), key).await.unwrap();
            assert_eq!(view.submission.fields[0].1, format!("c{i}"));
        }
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn limits_are_enforced_without_storing_anything() {
    for b in backends().await {
        let s = &b.store;
        let big = NewAttachment {
            bytes: vec![0; postern_store::ATTACHMENT_BYTES_MAX + 1],
            ..attachment()
        };
        let error = s
            .create_report("acme", &submission("x"), &[big], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap_err();
        assert!(matches!(error, StoreError::Limit(_)));
        let many = vec![attachment(); postern_store::ATTACHMENTS_PER_REPORT_MAX + 1];
        assert!(
            s.create_report("acme", &submission("x"), &many, at("2026-11-23T10:00:00Z"))
                .await
                .is_err()
        );
        assert_eq!(s.count_reports().await.unwrap(), 0, "{}", b.name);
        let exact = NewAttachment {
            bytes: vec![0; postern_store::ATTACHMENT_BYTES_MAX],
            ..attachment()
        };
        assert!(
            s.create_report(
                "acme",
                &submission("x"),
                &[exact],
                at("2026-11-23T10:00:00Z")
            )
            .await
            .is_ok()
        );
        b.drop_schema().await;
    }
}

/// Says that a test skipped part of its work, on the terminal even when the harness captures
/// test output (a direct write to stderr is not captured).
fn skip_notice(message: std::fmt::Arguments) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "NOTE: {message}");
}

#[tokio::test]
async fn every_write_is_audited_and_tampering_is_named() {
    use postern_core::audit::ChainBreak;
    use postern_store::AuditCheck;
    for b in backends().await {
        let s = &b.store;
        let mut ids = Vec::new();
        for i in 0..3 {
            let (id, key) = s
                .create_report(
                    "acme",
                    &submission(&format!("a{i}")),
                    &[],
                    at("2026-11-23T10:00:00Z"),
                )
                .await
                .unwrap();
            s.add_reporter_message(Some(&id), &key, "hello", at("2026-11-23T11:00:00Z"))
                .await
                .unwrap();
            ids.push(id);
        }
        let (count, _head) = s.verify_audit().await.unwrap();
        assert_eq!(count, 6, "{}", b.name);
        let events = s.report_events(&ids[1]).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["report.received", "message.added"]);
        assert_eq!(events[0].actor, "reporter");
        assert!(
            !events.iter().any(|e| e.detail.contains(CANARY)),
            "no contents in the log"
        );

        // Tamper directly in the database, as someone with file or SQL access would.
        let table = match &b.schema {
            Some((schema, _)) => format!("{schema}.audit_events"),
            None => "audit_events".to_owned(),
        };
        let tamper = |sql: String| async {
            match &b.schema {
                Some((_, admin)) => {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(admin)
                        .await
                        .unwrap();
                }
                None => {
                    let pool = sqlx::SqlitePool::connect(&format!(
                        "sqlite:{}",
                        b.dir.path().join("postern.sqlite3").display()
                    ))
                    .await
                    .unwrap();
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&pool)
                        .await
                        .unwrap();
                    pool.close().await;
                }
            }
        };
        tamper(format!(
            "UPDATE {table} SET detail = 'project=other' WHERE seq = 4"
        ))
        .await;
        match s.verify_audit().await {
            Err(AuditCheck::Broken(ChainBreak::Edited { seq: 4 })) => {}
            other => panic!("{}: expected an edit at 4, got {other:?}", b.name),
        }
        tamper(format!("DELETE FROM {table} WHERE seq = 2")).await;
        let error = s.verify_audit().await.unwrap_err();
        assert!(
            matches!(
                error,
                AuditCheck::Broken(ChainBreak::Removed {
                    first_missing: 2,
                    found: 3
                })
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the audit log was tampered with: event 2 was removed (the next event stored is 3)"
        );
        b.drop_schema().await;
    }
}

/// Two rotations at once from two "processes" (threads with runtimes of their own, as two
/// `postern key rotate` runs would be) must not lose a key: both read-modify-write the keyring.
#[test]
fn concurrent_rotations_never_lose_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = StoreConfig {
        database_url: None,
        postgres_schema: None,
    };
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };
    let setup = runtime();
    let store = setup.block_on(Store::open(&config, dir.path())).unwrap();
    let mut cases = Vec::new();
    for i in 0..4 {
        cases.push(
            setup
                .block_on(store.create_report(
                    "acme",
                    &submission(&format!("k{i}")),
                    &[],
                    at("2026-11-23T10:00:00Z"),
                ))
                .unwrap(),
        );
    }
    for round in 0..5 {
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    let rt = runtime();
                    let store = rt.block_on(Store::open(&config, dir.path())).unwrap();
                    barrier.wait();
                    rt.block_on(store.rotate_master_key()).unwrap();
                });
            }
        });
        // Written after the rotations by a store that saw them: sealed with the newest key.
        cases.push(
            setup
                .block_on(store.create_report(
                    "acme",
                    &submission(&format!("r{round}")),
                    &[],
                    at("2026-11-23T10:00:00Z"),
                ))
                .unwrap(),
        );
    }
    let fresh = setup.block_on(Store::open(&config, dir.path())).unwrap();
    for (id, key) in &cases {
        assert!(
            setup.block_on(fresh.reporter_view(Some(id), key)).is_ok(),
            "report {id} unreadable after concurrent rotations"
        );
    }
}

/// A database migrated by a newer Postern refuses this binary at open, saying which schema it
/// has and what to run, and the readiness check says the same of a database behind.
#[tokio::test]
async fn a_newer_database_refuses_an_older_binary_clearly() {
    for b in backends().await {
        assert!(b.store.readiness().await.is_ok(), "{}", b.name);
        let known = postern_store::backup::known_schema_version();
        assert_eq!(b.store.schema_version().await.unwrap(), known);
        let checksum = if b.name == "postgres" {
            "'\\x00'::bytea"
        } else {
            "X'00'"
        };
        execute(
            &b,
            &format!(
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (99999, 'from a newer Postern', TRUE, {checksum}, 0)"
            ),
        )
        .await;
        let config = StoreConfig {
            database_url: b
                .schema
                .as_ref()
                .map(|_| std::env::var("POSTERN_TEST_POSTGRES").unwrap()),
            postgres_schema: b.schema.as_ref().map(|(schema, _)| schema.clone()),
        };
        let refused = Store::open(&config, b.dir.path()).await.unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!(
                "the database was upgraded by a newer Postern (schema 99999; this version knows up to {known}); run that version or a newer one, or restore a backup taken before the upgrade"
            ),
            "{}",
            b.name
        );
        b.drop_schema().await;
    }
}

#[path = "team/cases.rs"]
mod team;

#[path = "team/disclosure.rs"]
mod disclosure;
#[path = "outbox/jobs.rs"]
mod outbox;
#[path = "team/privacy.rs"]
mod privacy;
#[path = "team/search.rs"]
mod search;
#[path = "outbox/subscriptions.rs"]
mod subscriptions;
#[path = "outbox/webhooks.rs"]
mod webhooks;
