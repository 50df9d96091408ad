//! Search over sealed reports on both databases: by title (and its words' beginnings), text,
//! credit name and an id's beginning; combined with the queue's filters; tokens rewritten by
//! erasure and computed for reports stored before search.

use postern_core::case::{Action, Case, apply};
use postern_core::intake::ValidSubmission;
use postern_core::privacy::Erasure;
use postern_core::report::ReportId;
use postern_core::search::SearchQuery;
use postern_store::team::{QueueFilter, QueueOrder, QueueState};

use super::{at, backends};

fn report(title: &str, text: &str, credit: Option<&str>) -> ValidSubmission {
    ValidSubmission {
        fields: vec![
            ("title".into(), title.into()),
            ("description".into(), text.into()),
        ],
        scope_category: None,
        contact_email: Some("reporter@example.org".into()),
        credit_name: credit.map(Into::into),
    }
}

#[tokio::test]
async fn reports_are_found_by_title_text_credit_and_id_with_the_queues_filters() {
    let policy = acme();
    for b in backends().await {
        let s = &b.store;
        let reports = [
            report(
                "SQL injection in the upload handler",
                "The `upload_id` parameter reaches the query unescaped.",
                Some("Ada Lovelace"),
            ),
            report(
                "Stored XSS in widget titles",
                "A widget title renders as HTML on every dashboard.",
                None,
            ),
            report(
                "Open redirect after sign-in",
                "The next= parameter is followed to any host.",
                Some("Grace Hopper"),
            ),
        ];
        let mut ids: Vec<ReportId> = Vec::new();
        for (i, r) in reports.iter().enumerate() {
            let received = at(&format!("2026-11-2{}T10:00:00Z", i + 1));
            let case = Case::received(&policy, received);
            let (id, _) = s
                .create_case_report("acme", r, &[], received, &case.clocks)
                .await
                .unwrap();
            ids.push(id);
        }
        let find = |text: &'static str, state: QueueState| found(s, text, state);
        let these = |which: &[usize]| {
            let mut v: Vec<ReportId> = which.iter().map(|i| ids[*i].clone()).collect();
            v.sort();
            v
        };
        let open = QueueState::Open;
        assert_eq!(find("injection", open).await, these(&[0]), "{}", b.name);
        assert_eq!(
            find("INJECT", open).await,
            these(&[0]),
            "a title word's beginning, any case"
        );
        assert_eq!(
            find("unescaped", open).await,
            these(&[0]),
            "a word of the text"
        );
        assert!(
            find("unesc", open).await.is_empty(),
            "the text is found by whole words"
        );
        assert_eq!(
            find("lovel", open).await,
            these(&[0]),
            "the credit name's beginning"
        );
        assert_eq!(find("parameter", open).await, these(&[0, 2]));
        assert_eq!(
            find("parameter host", open).await,
            these(&[2]),
            "every word must be found"
        );
        assert_eq!(find("widget dashboard", open).await, these(&[1]));
        assert!(find("zebra", open).await.is_empty());
        let prefix: String = ids[1].as_str().chars().take(6).collect();
        let by_id = SearchQuery::parse(&prefix).unwrap();
        let found = s
            .queue(
                &QueueFilter {
                    search: Some(by_id),
                    ..QueueFilter::default()
                },
                50,
            )
            .await
            .unwrap();
        assert!(
            found.iter().any(|r| r.id == ids[1]),
            "{}: an id's beginning",
            b.name
        );
        assert_eq!(
            found[0].title, "Stored XSS in widget titles",
            "a row has its title"
        );

        // Combined with the state filter: a closed report is not open, but is among all.
        close(s, &policy, &ids[2], "2026-11-25T10:00:00Z").await;
        assert_eq!(find("parameter", open).await, these(&[0]));
        assert_eq!(find("parameter", QueueState::All).await, these(&[0, 2]));

        // The database holds tokens, never words: nothing of the text is in the table.
        let tokens = super::count_rows(&b, "search_tokens").await;
        assert!(tokens > 30, "{}: {tokens} tokens", b.name);

        // Erasing the contact removes the credit name's tokens and keeps the text's; erasing
        // the contents removes the text's.
        s.erase(
            &ids[0],
            Erasure::Contact,
            "asked",
            "admin",
            at("2026-11-26T10:00:00Z"),
        )
        .await
        .unwrap();
        assert!(find("lovelace", open).await.is_empty(), "{}", b.name);
        assert_eq!(find("unescaped", open).await, these(&[0]));
        s.erase(
            &ids[0],
            Erasure::Contents,
            "asked",
            "admin",
            at("2026-11-26T11:00:00Z"),
        )
        .await
        .unwrap();
        assert!(find("unescaped", open).await.is_empty());
        assert!(find("injection", open).await.is_empty());
        // The contents erased first, the credit name stays findable until the contact goes.
        s.erase(
            &ids[2],
            Erasure::Contents,
            "asked",
            "admin",
            at("2026-11-26T12:00:00Z"),
        )
        .await
        .unwrap();
        assert!(find("redirect", QueueState::All).await.is_empty());
        assert_eq!(find("hopper", QueueState::All).await, these(&[2]));
        s.erase(
            &ids[2],
            Erasure::Contact,
            "asked",
            "admin",
            at("2026-11-26T13:00:00Z"),
        )
        .await
        .unwrap();
        assert!(find("hopper", QueueState::All).await.is_empty());
        let left = super::count_rows(
            &b,
            &format!(
                "search_tokens WHERE report_id IN ('{}', '{}')",
                ids[0], ids[2]
            ),
        )
        .await;
        assert_eq!(left, 0, "{}: erased reports keep no token", b.name);

        // Reports stored before search are indexed once, in the background.
        super::execute(&b, "DELETE FROM search_tokens").await;
        super::execute(&b, "UPDATE reports SET search_indexed = 0").await;
        assert!(find("widget", open).await.is_empty());
        let done = s
            .complete_old_reports(|_, _| None, at("2026-11-27T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(done.indexed, 3, "{}", b.name);
        assert_eq!(find("widget", open).await, these(&[1]));
        assert!(
            find("hopper", QueueState::All).await.is_empty(),
            "erased stays erased"
        );
        let again = s
            .complete_old_reports(|_, _| None, at("2026-11-27T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(again.indexed, 0, "once");
        b.drop_schema().await;
    }
}

/// A database whose tokens were written in migration 0022's layout (clustered by report id)
/// finds the same reports after 0023 orders them by receipt time: the upgrade copies every
/// token with its report's receipt time, and reports written afterwards are found with them.
#[tokio::test]
async fn tokens_written_before_they_were_ordered_by_time_still_find_their_reports() {
    let policy = acme();
    for mut b in backends().await {
        let old = submit(&b.store, &policy, "Heap overflow in the image decoder", 10).await;
        let tokens = super::count_rows(&b, "search_tokens").await;
        // Back to 0022's table, as a database migrated before 0023 has it.
        let integer = if b.name == "postgres" {
            "BIGINT"
        } else {
            "INTEGER"
        };
        let without_rowid = if b.name == "postgres" {
            ""
        } else {
            " WITHOUT ROWID"
        };
        super::execute(
            &b,
            &format!(
                "CREATE TABLE search_tokens_0022 (token {integer} NOT NULL, report_id TEXT NOT NULL REFERENCES reports (id), PRIMARY KEY (token, report_id)){without_rowid}; \
                 INSERT INTO search_tokens_0022 SELECT token, report_id FROM search_tokens; \
                 DROP TABLE search_tokens; \
                 ALTER TABLE search_tokens_0022 RENAME TO search_tokens; \
                 CREATE INDEX search_tokens_report ON search_tokens (report_id); \
                 DELETE FROM _sqlx_migrations WHERE version = 23"
            ),
        )
        .await;
        let config = postern_store::StoreConfig {
            database_url: b
                .schema
                .as_ref()
                .map(|_| std::env::var("POSTERN_TEST_POSTGRES").unwrap()),
            postgres_schema: b.schema.as_ref().map(|(schema, _)| schema.clone()),
        };
        b.store.close().await;
        b.store = postern_store::Store::open(&config, b.dir.path())
            .await
            .unwrap();
        assert_eq!(
            super::count_rows(&b, "search_tokens").await,
            tokens,
            "{}: every token is kept",
            b.name
        );
        let new = submit(&b.store, &policy, "Heap exhaustion in the font parser", 20).await;
        let found = |text: &'static str| found(&b.store, text, QueueState::All);
        let mut both = vec![old.clone(), new.clone()];
        both.sort();
        assert_eq!(found("heap").await, both, "{}", b.name);
        assert_eq!(found("decoder").await, vec![old.clone()], "{}", b.name);
        assert_eq!(found("font").await, vec![new.clone()], "{}", b.name);
        // Two words: the second is checked row by row, by receipt time and id.
        assert_eq!(found("heap fuzzer decod").await, vec![old], "{}", b.name);
        b.drop_schema().await;
    }
}

/// In receipt order, a searched word's tokens drive the read (they are kept in that order): the
/// page holds the newest (or oldest) matching reports in order, stops at its limit, and keeps
/// the state filter and a second word.
#[tokio::test]
async fn a_search_newest_or_oldest_first_reads_the_words_reports_in_that_order() {
    let policy = acme();
    for b in backends().await {
        let s = &b.store;
        let mut by_day = Vec::new();
        for day in 1..=6u32 {
            let title = if day % 2 == 0 {
                "Heap overflow in the image decoder"
            } else {
                "Stack overflow in the parser"
            };
            by_day.push(submit(s, &policy, title, day).await);
        }
        // Close the report of day 5, so that the state filter has something to leave out.
        close(s, &policy, &by_day[4], "2026-11-06T12:00:00Z").await;
        let page = |text: &'static str, state: QueueState, order: QueueOrder, limit: usize| {
            let filter = QueueFilter {
                state,
                order: Some(order),
                search: Some(SearchQuery::parse(text).unwrap()),
                ..QueueFilter::default()
            };
            async move {
                s.queue(&filter, limit)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|r| r.id)
                    .collect::<Vec<_>>()
            }
        };
        let day = |d: usize| by_day[d - 1].clone();
        assert_eq!(
            page("fuzzer", QueueState::All, QueueOrder::Newest, 3).await,
            vec![day(6), day(5), day(4)],
            "{}",
            b.name
        );
        assert_eq!(
            page("fuzzer", QueueState::All, QueueOrder::Oldest, 2).await,
            vec![day(1), day(2)],
            "{}",
            b.name
        );
        assert_eq!(
            page("overflow parser", QueueState::All, QueueOrder::Newest, 10).await,
            vec![day(5), day(3), day(1)],
            "{}",
            b.name
        );
        assert_eq!(
            page(
                "parser",
                QueueState::Only(postern_core::report::ReportStatus::Received),
                QueueOrder::Oldest,
                10
            )
            .await,
            vec![day(1), day(3)],
            "{}",
            b.name
        );
        b.drop_schema().await;
    }
}

/// The project these tests submit to.
fn acme() -> postern_core::policy::Policy {
    postern_core::policy::parse_str(
        "[project]\nname = \"Acme\"\nslug = \"acme\"\n[[channels]]\nkind = \"web-form\"\n[response]\ntime_zone = \"UTC\"\nacknowledge = \"48 hours\"\n",
        at("2026-11-01T00:00:00Z"),
    )
    .policy
    .unwrap()
}

/// Closes a report as informative at `when`, by alice.
async fn close(
    store: &postern_store::Store,
    policy: &postern_core::policy::Policy,
    id: &ReportId,
    when: &str,
) {
    let row = store.case_row(id).await.unwrap();
    let applied = apply(
        &row.case,
        &Action::Close(postern_core::case::Closing {
            closure: postern_core::lifecycle::Closure::Informative,
            duplicate_of: None,
            scope_category: None,
        }),
        policy,
        at(when),
    )
    .unwrap();
    store
        .record_case_change(id, row.version, &applied, None, "alice", at(when))
        .await
        .unwrap();
}

async fn submit(
    store: &postern_store::Store,
    policy: &postern_core::policy::Policy,
    title: &str,
    day: u32,
) -> ReportId {
    let received = at(&format!("2026-11-{day:02}T10:00:00Z"));
    let case = Case::received(policy, received);
    store
        .create_case_report(
            "acme",
            &report(title, "Found with a fuzzer.", None),
            &[],
            received,
            &case.clocks,
        )
        .await
        .unwrap()
        .0
}

/// The reports a search finds in a state, in id order.
async fn found(store: &postern_store::Store, text: &str, state: QueueState) -> Vec<ReportId> {
    let mut ids: Vec<ReportId> = store
        .queue(
            &QueueFilter {
                state,
                search: Some(SearchQuery::parse(text).unwrap()),
                ..QueueFilter::default()
            },
            50,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}
