//! Erasure by destroying keys, on both databases: a canary in every personal field is readable
//! before and gone after, the audit chain still verifies, nothing else of the report changes,
//! and a row stored before the contact had its own key is erased all the same.

use postern_core::privacy::{Erasure, Hold};
use postern_core::report::ReportId;
use postern_store::StoreError;

use super::{Backend, CANARY, at, attachment, backends, submission};

fn canary_in(text: &str) -> bool {
    text.to_lowercase().contains(&CANARY.to_lowercase())
}

/// Everything the store can still read of a report, as one text.
async fn everything(b: &Backend, id: &ReportId, key: &postern_core::report::CaseKey) -> String {
    let s = &b.store;
    let team = s
        .team_view(id, "admin@example.org", at("2026-11-24T00:00:00Z"))
        .await
        .unwrap();
    let reporter = s.reporter_view(Some(id), key).await.unwrap();
    let titles = s.report_titles(std::slice::from_ref(id)).await.unwrap();
    let contact = s
        .reporter_contact(id, "job", "system", at("2026-11-24T00:00:00Z"))
        .await
        .unwrap();
    let events = s.report_events(id).await.unwrap();
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {titles:?} {contact:?} {events:?}",
        team.submission,
        team.messages,
        team.notes,
        team.attachments,
        reporter.submission,
        reporter.messages,
        reporter.attachments,
        team.case.status,
        team.received_at
    )
}

/// The row's (key id, wrapped contents key, wrapped contact key), read straight from the
/// database.
async fn key_columns(b: &Backend, id: &ReportId) -> (String, Vec<u8>, Option<Vec<u8>>) {
    use sqlx::Row as _;
    let sql = "SELECT key_id, wrapped_key, contact_wrapped_key FROM reports WHERE id = $1";
    match &b.schema {
        Some((schema, admin)) => {
            let r = sqlx::query(sqlx::AssertSqlSafe(
                sql.replace("FROM reports", &format!("FROM {schema}.reports")),
            ))
            .bind(id.as_str())
            .fetch_one(admin)
            .await
            .unwrap();
            (r.get(0), r.get(1), r.get(2))
        }
        None => {
            use sqlx::Connection as _;
            let mut c = sqlx::SqliteConnection::connect(&format!(
                "sqlite:{}",
                b.dir.path().join(postern_store::SQLITE_FILE).display()
            ))
            .await
            .unwrap();
            let r = sqlx::query(sql)
                .bind(id.as_str())
                .fetch_one(&mut c)
                .await
                .unwrap();
            (r.get(0), r.get(1), r.get(2))
        }
    }
}

async fn wrapped_keys(b: &Backend, id: &ReportId) -> (Vec<u8>, Option<Vec<u8>>) {
    let (_, contents, contact) = key_columns(b, id).await;
    (contents, contact)
}

#[tokio::test]
async fn erasing_destroys_the_keys_and_keeps_the_case_and_the_chain() {
    for b in backends().await {
        let s = &b.store;
        let (id, key) = s
            .create_report(
                "acme",
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
            at("2026-11-23T10:01:00Z"),
        )
        .await
        .unwrap();
        s.add_note(
            &id,
            &format!("note {CANARY}"),
            "admin@example.org",
            at("2026-11-23T10:02:00Z"),
        )
        .await
        .unwrap();
        let before = everything(&b, &id, &key).await;
        assert!(
            canary_in(&before),
            "{}: the canary is readable before",
            b.name
        );
        let team = s
            .team_view(&id, "a", at("2026-11-24T00:00:00Z"))
            .await
            .unwrap();
        assert!(canary_in(team.submission.contact_email.as_deref().unwrap()));
        assert!(canary_in(team.submission.credit_name.as_deref().unwrap()));
        let (contents_key, contact_key) = wrapped_keys(&b, &id).await;
        assert!(contact_key.is_some(), "the contact has a key of its own");

        // The contact goes; the contents stay.
        let erased = s
            .erase(
                &id,
                Erasure::Contact,
                "reporter asked",
                "admin@example.org",
                at("2026-11-25T00:00:00Z"),
            )
            .await
            .unwrap();
        assert!(!erased.already);
        let team = s
            .team_view(&id, "a", at("2026-11-25T00:00:01Z"))
            .await
            .unwrap();
        assert_eq!(team.submission.contact_email, None);
        assert_eq!(team.submission.credit_name, None);
        assert!(canary_in(&team.submission.fields[1].1), "contents stay");
        assert_eq!(
            team.privacy.contact_erased_at,
            Some(at("2026-11-25T00:00:00Z"))
        );
        assert_eq!(
            wrapped_keys(&b, &id).await.1,
            None,
            "the contact key is gone"
        );
        assert_eq!(
            s.reporter_contact(&id, "job", "system", at("2026-11-25T00:00:02Z"))
                .await
                .unwrap(),
            None
        );

        // Twice is harmless: nothing changes, nothing is recorded.
        let events = s.report_events(&id).await.unwrap().len();
        let again = s
            .erase(
                &id,
                Erasure::Contact,
                "again",
                "admin@example.org",
                at("2026-11-26T00:00:00Z"),
            )
            .await
            .unwrap();
        assert!(again.already);
        assert_eq!(again.at, at("2026-11-25T00:00:00Z"));
        assert_eq!(s.report_events(&id).await.unwrap().len(), events);

        // Then the contents.
        s.erase(
            &id,
            Erasure::Contents,
            "retention",
            "system",
            at("2026-11-27T00:00:00Z"),
        )
        .await
        .unwrap();
        let after = everything(&b, &id, &key).await;
        assert!(
            !canary_in(&after),
            "{}: nothing of the canary is left: {after}",
            b.name
        );
        assert_ne!(
            wrapped_keys(&b, &id).await.0,
            contents_key,
            "the contents' key was replaced"
        );
        let case = s.case_row(&id).await.unwrap();
        assert_eq!(case.received_at, at("2026-11-23T10:00:00Z"), "dates stay");
        let titles = s.report_titles(std::slice::from_ref(&id)).await.unwrap();
        assert_eq!(titles[&id], postern_store::privacy::ERASED_TITLE);
        // The reporter still follows the case with their key.
        assert!(s.reporter_view(Some(&id), &key).await.is_ok());
        let events = s.report_events(&id).await.unwrap();
        let erasures: Vec<_> = events
            .iter()
            .filter(|e| e.action == "report.erased")
            .collect();
        assert_eq!(erasures.len(), 2);
        assert_eq!(erasures[0].detail, "what=contact reason=reporter asked");
        assert!(s.verify_audit().await.is_ok(), "the chain still verifies");
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_hold_stops_erasure_in_the_store_too() {
    for b in backends().await {
        let s = &b.store;
        let (id, key) = s
            .create_report("acme", &submission("Held"), &[], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap();
        s.set_hold(
            &id,
            &Hold {
                until: at("2027-01-01T00:00:00Z"),
                reason: "court order".into(),
            },
            "admin@example.org",
            at("2026-11-24T00:00:00Z"),
        )
        .await
        .unwrap();
        let state = s.privacy_state(&id).await.unwrap();
        assert_eq!(state.hold.as_ref().unwrap().reason, "court order");
        for what in Erasure::ALL {
            let refused = s
                .erase(
                    &id,
                    what,
                    "x",
                    "admin@example.org",
                    at("2026-12-01T00:00:00Z"),
                )
                .await
                .unwrap_err();
            assert!(matches!(refused, StoreError::Conflict(_)), "{refused}");
        }
        assert!(canary_in(&everything(&b, &id, &key).await), "untouched");
        // Once the hold has ended, erasure works.
        s.erase(
            &id,
            Erasure::Contact,
            "x",
            "admin@example.org",
            at("2027-01-01T00:00:00Z"),
        )
        .await
        .unwrap();
        b.drop_schema().await;
    }
}

#[tokio::test]
async fn a_row_stored_before_the_contact_had_its_own_key_is_erased_too() {
    for b in backends().await {
        let s = &b.store;
        let (id, key) = s
            .create_report("acme", &submission("Old"), &[], at("2026-11-23T10:00:00Z"))
            .await
            .unwrap();
        make_legacy(&b, &id).await;
        let team = s
            .team_view(&id, "a", at("2026-11-24T00:00:00Z"))
            .await
            .unwrap();
        assert!(
            canary_in(team.submission.contact_email.as_deref().unwrap()),
            "old rows read"
        );
        // Contents first: the contact moves under a key of its own and stays.
        let (id2, _) = s
            .create_report(
                "acme",
                &submission("Old 2"),
                &[],
                at("2026-11-23T10:00:00Z"),
            )
            .await
            .unwrap();
        make_legacy(&b, &id2).await;
        s.erase(
            &id2,
            Erasure::Contents,
            "x",
            "a",
            at("2026-11-25T00:00:00Z"),
        )
        .await
        .unwrap();
        let team2 = s
            .team_view(&id2, "a", at("2026-11-25T00:00:01Z"))
            .await
            .unwrap();
        assert!(canary_in(
            team2.submission.contact_email.as_deref().unwrap()
        ));
        assert!(team2.submission.fields.is_empty());
        // Contact: the contents are sealed again without it.
        s.erase(&id, Erasure::Contact, "x", "a", at("2026-11-25T00:00:00Z"))
            .await
            .unwrap();
        let after = everything(&b, &id, &key).await;
        let team = s
            .team_view(&id, "a", at("2026-11-25T00:00:01Z"))
            .await
            .unwrap();
        assert_eq!(team.submission.contact_email, None);
        assert_eq!(team.submission.credit_name, None);
        assert!(canary_in(&team.submission.fields[1].1));
        assert!(
            !after
                .to_lowercase()
                .contains(&format!("{}@example.org", CANARY.to_lowercase()))
        );
        b.drop_schema().await;
    }
}

/// Turns a row into one written before migration 0014: the contact inside the contents, no
/// contact key.
async fn make_legacy(b: &Backend, id: &ReportId) {
    let s = &b.store;
    let (key_id, wrapped, _) = key_columns(b, id).await;
    let data_key = s.vault().unwrap(id.as_str(), &key_id, &wrapped).unwrap();
    let sub = submission("Old");
    let content = serde_json::json!({
        "fields": sub.fields,
        "scope_category": sub.scope_category,
        "contact_email": sub.contact_email,
        "credit_name": sub.credit_name,
    });
    let aad = format!("postern report v1\0{id}\0content");
    let sealed =
        postern_store::vault::seal(&data_key, aad.as_bytes(), content.to_string().as_bytes())
            .unwrap();
    let hex = data_encoding::HEXLOWER.encode(&sealed);
    let literal = match b.schema {
        Some(_) => format!("'\\x{hex}'::bytea"),
        None => format!("X'{hex}'"),
    };
    super::execute(
        b,
        &format!(
            "UPDATE reports SET content = {literal}, contact_key_id = NULL, contact_wrapped_key = NULL, contact = NULL WHERE id = '{id}'"
        ),
    )
    .await;
}
