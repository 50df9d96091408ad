//! Disclosure dates proposed by the reporter and answered by the team, on both databases.

use postern_core::advisory::{Advisory, AdvisoryId, Affected, VersionRange};
use postern_core::case::Case;
use postern_store::StoreError;
use postern_store::disclosure::{Answer, RequestState};

use super::{at, backends, submission};

fn policy() -> postern_core::policy::Policy {
    let text = r#"
[project]
name = "Acme"
slug = "acme"

[[channels]]
kind = "web-form"

[response]
time_zone = "UTC"
acknowledge = "48 hours"
"#;
    postern_core::policy::parse_str(text, at("2026-11-01T00:00:00Z"))
        .policy
        .unwrap()
}

#[tokio::test]
async fn a_proposed_date_is_answered_on_the_record_and_schedules_the_advisory() {
    let policy = policy();
    for b in backends().await {
        let s = &b.store;
        let received = at("2026-11-23T10:00:00Z");
        let case = Case::received(&policy, received);
        let (id, key) = s
            .create_case_report("acme", &submission("bug"), &[], received, &case.clocks)
            .await
            .unwrap();
        let advisory = Advisory {
            id: AdvisoryId::new("ACME", 2026, 1),
            project: "acme".into(),
            title: "Path traversal".into(),
            summary: "Path traversal in downloads".into(),
            details: String::new(),
            severity: None,
            cvss_v3: None,
            cvss_v4: None,
            cwes: Vec::new(),
            affected: vec![Affected {
                ecosystem: "PyPI".into(),
                package: "acme".into(),
                ranges: vec![VersionRange {
                    introduced: "0".into(),
                    fixed: Some("1.2.3".into()),
                    last_affected: None,
                }],
                versions: Vec::new(),
            }],
            references: Vec::new(),
            credits: Vec::new(),
            aliases: Vec::new(),
            published: None,
            modified: at("2026-11-24T10:00:00Z"),
        };
        s.save_advisory(&advisory, Some(&id), "alice", at("2026-11-24T10:00:00Z"))
            .await
            .unwrap();

        // A first proposal, declined with a note; the reporter sees the answer.
        s.request_disclosure_date(
            Some(&id),
            &key,
            at("2027-01-10T00:00:00Z"),
            "a conference talk",
            at("2026-11-25T10:00:00Z"),
        )
        .await
        .unwrap();
        let again = s
            .request_disclosure_date(
                Some(&id),
                &key,
                at("2027-01-11T00:00:00Z"),
                "",
                at("2026-11-25T11:00:00Z"),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&again, StoreError::Conflict(m) if m.contains("not answered yet")),
            "{}: {again}",
            b.name
        );
        let first = s.disclosure_terms(&id).await.unwrap().requests[0].clone();
        assert_eq!(first.state, RequestState::Open);
        let declined = s
            .decide_disclosure_request(
                &id,
                &first.id,
                &Answer {
                    accept: false,
                    note: "too soon for the distributions",
                    early_access: None,
                },
                "alice",
                at("2026-11-26T10:00:00Z"),
            )
            .await
            .unwrap();
        assert_eq!(declined.state, RequestState::Declined);
        // Answering twice is refused.
        assert!(matches!(
            s.decide_disclosure_request(
                &id,
                &first.id,
                &Answer {
                    accept: true,
                    note: "",
                    early_access: None,
                },
                "bob",
                at("2026-11-26T11:00:00Z")
            )
            .await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.advisory_schedule(&advisory.id).await.unwrap(), None);

        // A second proposal, accepted: agreed date and advisory schedule move together.
        s.request_disclosure_date(
            Some(&id),
            &key,
            at("2027-02-01T00:00:00Z"),
            "",
            at("2026-11-27T10:00:00Z"),
        )
        .await
        .unwrap();
        let second = s.disclosure_terms(&id).await.unwrap().requests[1].clone();
        s.decide_disclosure_request(
            &id,
            &second.id,
            &Answer {
                accept: true,
                note: "",
                early_access: Some(jiff::SignedDuration::from_hours(5 * 24)),
            },
            "alice",
            at("2026-11-27T12:00:00Z"),
        )
        .await
        .unwrap();
        let view = s.reporter_view(Some(&id), &key).await.unwrap();
        assert_eq!(
            view.terms.agreed,
            Some(at("2027-02-01T00:00:00Z")),
            "{}",
            b.name
        );
        let states: Vec<_> = view.terms.requests.iter().map(|r| r.state).collect();
        assert_eq!(states, [RequestState::Declined, RequestState::Accepted]);
        assert_eq!(
            s.advisory_schedule(&advisory.id).await.unwrap(),
            Some(at("2027-02-01T00:00:00Z"))
        );
        // The early-access mail moved with it: due five days before the agreed date.
        let early: Vec<_> = s
            .jobs(None)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| j.kind == postern_store::jobs::ADVISORY_EARLY_ACCESS)
            .collect();
        assert_eq!(early.len(), 1, "{}", b.name);
        assert_eq!(early[0].run_at, at("2027-01-27T00:00:00Z"));
        // The conversation holds the reason and both answers; the log holds all three steps.
        let bodies: Vec<&str> = view.messages.iter().map(|m| m.body.as_str()).collect();
        assert!(bodies[0].contains("2027-01-10") && bodies[0].contains("a conference talk"));
        assert!(bodies[1].contains("cannot agree") && bodies[1].contains("distributions"));
        assert!(bodies[3].contains("We accept 2027-02-01"), "{bodies:?}");
        let actions: Vec<String> = s
            .report_events(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.starts_with("disclosure."))
            .collect();
        assert_eq!(
            actions,
            [
                "disclosure.requested",
                "disclosure.declined",
                "disclosure.requested",
                "disclosure.accepted"
            ]
        );
        // A wrong case key proposes nothing.
        let stranger =
            postern_core::report::CaseKey::from_random([7u8; postern_core::report::CASE_KEY_BYTES]);
        assert!(matches!(
            s.request_disclosure_date(
                Some(&id),
                &stranger,
                at("2027-03-01T00:00:00Z"),
                "",
                at("2026-11-27T13:00:00Z")
            )
            .await,
            Err(StoreError::NotFound)
        ));
        b.drop_schema().await;
    }
}
