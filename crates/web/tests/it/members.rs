//! The admins' team page driven in-process on both databases: members are added (the setup
//! code shown once), changed (role, projects, disabled: their sessions end), reset; the last
//! enabled admin cannot be demoted or disabled; only admins reach any of it.

use crate::support;
use crate::team::{acme, set_up};

use axum::http::StatusCode;
use postern_store::team::Role;
use postern_web::IntakeLimits;
use support::{Browser, TestApp, hidden, location, project};

#[tokio::test]
async fn an_admin_adds_changes_disables_and_resets_members_from_the_page() {
    let other = project("Other", "");
    for app in TestApp::all(vec![acme(), other], IntakeLimits::default()).await {
        let backend = app.backend;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Triager, &[]).await;

        // Only admins: a triager is refused every route, and sees no link to them.
        assert!(
            !bob.get("/team/account")
                .await
                .text()
                .contains("/team/members")
        );
        assert_eq!(bob.get("/team/members").await.status, StatusCode::FORBIDDEN);
        let account = alice.get("/team/account").await.text();
        assert!(account.contains("href=\"/team/members\""), "{backend}");

        let list = alice.get("/team/members").await.text();
        assert!(
            list.contains("alice@example.org") && list.contains("bob@example.org"),
            "{backend}: {list}"
        );
        let csrf = hidden(&list, "csrf");
        let bob_id = app
            .store
            .user_by_email("bob@example.org")
            .await
            .unwrap()
            .unwrap()
            .id;
        let bob_csrf = hidden(&bob.get("/team/account").await.text(), "csrf");
        let forged = bob
            .post(
                &format!("/team/members/{bob_id}"),
                &[("csrf", bob_csrf.as_str()), ("role", "admin")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{backend}");

        // Add: the code is on the answer, once; a second add of the address is refused.
        let add = [
            ("csrf", csrf.as_str()),
            ("email", "Carol@Example.org"),
            ("role", "viewer"),
            ("projects", "acme"),
        ];
        let added = alice.post("/team/members", &add).await;
        assert_eq!(added.status, StatusCode::OK, "{backend}: {}", added.text());
        let page = added.text();
        assert!(
            page.contains("Setup code for carol@example.org"),
            "{backend}"
        );
        assert_eq!(added.headers["cache-control"], "no-store");
        let carol = app
            .store
            .user_by_email("carol@example.org")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (carol.role, carol.projects.clone()),
            (Role::Viewer, vec!["acme".to_owned()])
        );
        let again = alice.post("/team/members", &add).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(again.text().contains("exists already"), "{backend}");
        let unknown = alice
            .post(
                "/team/members",
                &[
                    ("csrf", csrf.as_str()),
                    ("email", "dan@example.org"),
                    ("role", "triager"),
                    ("projects", "nope"),
                ],
            )
            .await;
        assert_eq!(
            unknown.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        assert!(
            unknown.text().contains("value=\"dan@example.org\""),
            "typed kept"
        );
        assert!(
            app.store
                .user_by_email("dan@example.org")
                .await
                .unwrap()
                .is_none()
        );

        // Change bob: a viewer of one project, disabled; his session ends at once.
        assert_eq!(bob.get("/team").await.status, StatusCode::OK);
        let changed = alice
            .post(
                &format!("/team/members/{bob_id}"),
                &[
                    ("csrf", csrf.as_str()),
                    ("role", "viewer"),
                    ("projects", "other"),
                    ("disabled", "1"),
                ],
            )
            .await;
        assert_eq!(
            location(&changed),
            "/team/members?done=changed",
            "{backend}"
        );
        let bob_now = app.store.user_by_id(&bob_id).await.unwrap().unwrap();
        assert_eq!(
            (bob_now.role, bob_now.projects.clone(), bob_now.disabled),
            (Role::Viewer, vec!["other".to_owned()], true)
        );
        assert_eq!(
            location(&bob.get("/team").await),
            "/team/signin",
            "{backend}"
        );

        // The last enabled admin cannot demote or disable herself.
        let alice_id = app
            .store
            .user_by_email("alice@example.org")
            .await
            .unwrap()
            .unwrap()
            .id;
        for (role, disabled) in [("triager", ""), ("admin", "1")] {
            let refused = alice
                .post(
                    &format!("/team/members/{alice_id}"),
                    &[
                        ("csrf", csrf.as_str()),
                        ("role", role),
                        ("disabled", disabled),
                    ],
                )
                .await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{backend}"
            );
            assert!(refused.text().contains("no enabled admin"), "{backend}");
        }
        let alice_now = app.store.user_by_id(&alice_id).await.unwrap().unwrap();
        assert!(alice_now.role == Role::Admin && !alice_now.disabled);

        // Reset carol: a new code, shown once.
        let reset = alice
            .post(
                &format!("/team/members/{}/reset", carol.id),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(reset.status, StatusCode::OK, "{backend}");
        let code_page = reset.text();
        assert!(
            code_page.contains("Setup code for carol@example.org"),
            "{backend}"
        );
        assert_ne!(
            code_page.split("class=\"key\">").nth(1),
            page.split("class=\"key\">").nth(1),
            "a new code"
        );
        // The reset leaves only the new code working.
        let code_of = |html: &str| {
            html.split("class=\"key\">")
                .nth(1)
                .and_then(|rest| rest.split('<').next())
                .unwrap()
                .to_owned()
        };
        let hash =
            postern_store::credentials::hash_password("correct horse battery staple").unwrap();
        let now = app.uses.now();
        assert!(
            app.store
                .complete_setup(&code_of(&page), &hash, None, now)
                .await
                .is_err(),
            "{backend}: the code shown before the reset stops working"
        );
        app.store
            .complete_setup(&code_of(&code_page), &hash, None, now)
            .await
            .unwrap();
        assert_eq!(
            alice.get("/team/members/nobody").await.status,
            StatusCode::NOT_FOUND
        );
        app.store.verify_audit().await.unwrap();
    }
}

#[tokio::test]
async fn an_admin_adds_tests_and_removes_a_webhook_from_the_page() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Triager, &[]).await;
        assert_eq!(
            bob.get("/team/webhooks").await.status,
            StatusCode::FORBIDDEN
        );
        let account = alice.get("/team/account").await.text();
        assert!(account.contains("href=\"/team/webhooks\""), "{backend}");
        let list = alice.get("/team/webhooks").await.text();
        assert!(list.contains("No webhooks yet."), "{backend}");
        let csrf = hidden(&list, "csrf");

        // A bad address is refused next to the form, with what was typed kept.
        let refused = alice
            .post(
                "/team/webhooks",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("kind", "generic"),
                    ("url", "ftp://hooks.example.org/x"),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{backend}"
        );
        let text = refused.text();
        assert!(
            text.contains("id=\"add-error\"")
                && text.contains("value=\"ftp://hooks.example.org/x\""),
            "{backend}: {text}"
        );

        // A generic one: its signing secret is on the answer, once; its address never again.
        let added = alice
            .post(
                "/team/webhooks",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("kind", "generic"),
                    ("url", "https://hooks.example.org/postern"),
                    ("events", "new_report"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::OK, "{backend}: {}", added.text());
        let text = added.text();
        assert!(text.contains("<code class=\"key\">whsec_"), "{backend}");
        let hooks = app.store.webhooks(Some("acme")).await.unwrap();
        assert_eq!(hooks.len(), 1, "{backend}");
        let id = hooks[0].id.clone();
        let listed = alice.get("/team/webhooks").await.text();
        assert!(
            listed.contains(&id)
                && listed.contains("new_report")
                && !listed.contains("hooks.example.org")
                && !listed.contains("whsec_"),
            "{backend}: {listed}"
        );

        let tested = alice
            .post(
                &format!("/team/webhooks/{id}/test"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(location(&tested), "/team/webhooks?done=tested", "{backend}");
        let removed = alice
            .post(
                &format!("/team/webhooks/{id}/remove"),
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(
            location(&removed),
            "/team/webhooks?done=removed",
            "{backend}"
        );
        assert!(app.store.webhooks(Some("acme")).await.unwrap().is_empty());
        let unknown = alice
            .post("/team/webhooks/nope/remove", &[("csrf", csrf.as_str())])
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{backend}");
        app.store.verify_audit().await.unwrap();
    }
}

#[tokio::test]
async fn an_admin_keeps_the_early_access_list_from_the_page() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Triager, &[]).await;
        assert_eq!(
            bob.get("/team/early-access").await.status,
            StatusCode::FORBIDDEN
        );
        let list = alice.get("/team/early-access").await.text();
        assert!(
            list.contains("Nobody is on an early-access list."),
            "{backend}"
        );
        let csrf = hidden(&list, "csrf");
        let bad = alice
            .post(
                "/team/early-access",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("email", "not an address"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert!(bad.text().contains("value=\"not an address\""), "{backend}");
        let added = alice
            .post(
                "/team/early-access",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("email", "security@distro.example.org"),
                    ("name", "Distro security team"),
                ],
            )
            .await;
        assert_eq!(
            location(&added),
            "/team/early-access?done=added",
            "{backend}"
        );
        let list = alice.get("/team/early-access?done=added").await.text();
        assert!(
            list.contains("security@distro.example.org") && list.contains("Distro security team"),
            "{backend}: {list}"
        );
        let removed = alice
            .post(
                "/team/early-access/remove",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("email", "security@distro.example.org"),
                ],
            )
            .await;
        assert_eq!(
            location(&removed),
            "/team/early-access?done=removed",
            "{backend}"
        );
        assert!(
            app.store
                .early_access_list(Some("acme"))
                .await
                .unwrap()
                .is_empty(),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_admin_sees_subscribers_masked_and_removes_them_audited() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let backend = app.backend;
        let now = support::now();
        for email in ["jane.doe@example.net", "kim@example.com"] {
            app.store
                .request_subscription("acme", email, now)
                .await
                .unwrap();
        }
        let jane = app
            .store
            .subscriber_by_address("acme", "Jane.Doe@example.net")
            .await
            .unwrap()
            .unwrap();
        let token = app.store.confirm_token(&jane, now);
        app.store.confirm_subscription(&token, now).await.unwrap();
        let mut alice = Browser::new(&app);
        set_up(&mut alice, "alice@example.org", Role::Admin, &[]).await;
        let mut bob = Browser::new(&app);
        set_up(&mut bob, "bob@example.org", Role::Triager, &[]).await;
        assert_eq!(
            bob.get("/team/subscribers").await.status,
            StatusCode::FORBIDDEN,
            "{backend}"
        );
        assert!(
            alice
                .get("/team/account")
                .await
                .text()
                .contains(r#"href="/team/subscribers""#),
            "{backend}: linked from the account page"
        );
        let list = alice.get("/team/subscribers").await.text();
        assert!(
            list.contains("j•••@example.net")
                && list.contains("k•••@example.com")
                && list.contains("waiting for confirmation")
                && !list.contains("jane.doe"),
            "{backend}: masked, never whole: {list}"
        );
        let csrf = hidden(&list, "csrf");
        // From the list, by the row's id.
        let removed = alice
            .post(
                "/team/subscribers/remove",
                &[("csrf", csrf.as_str()), ("id", jane.as_str())],
            )
            .await;
        assert_eq!(
            location(&removed),
            "/team/subscribers?done=removed",
            "{backend}"
        );
        let gone = alice
            .post(
                "/team/subscribers/remove",
                &[("csrf", csrf.as_str()), ("id", jane.as_str())],
            )
            .await;
        assert_eq!(
            gone.status,
            StatusCode::NOT_FOUND,
            "{backend}: removed once"
        );
        // By project and whole address, as asked by mail; a wrong address says so, kept.
        let wrong = alice
            .post(
                "/team/subscribers/remove",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("email", "nobody@example.com"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        let html = wrong.text();
        assert!(
            html.contains("has no subscriber with this address")
                && html.contains(r#"value="nobody@example.com""#),
            "{backend}: {html}"
        );
        let removed = alice
            .post(
                "/team/subscribers/remove",
                &[
                    ("csrf", csrf.as_str()),
                    ("project", "acme"),
                    ("email", " KIM@example.com"),
                ],
            )
            .await;
        assert_eq!(
            location(&removed),
            "/team/subscribers?done=removed",
            "{backend}"
        );
        assert!(
            alice
                .get("/team/subscribers?done=removed")
                .await
                .text()
                .contains("Nobody has subscribed yet."),
            "{backend}"
        );
        // Audited by who and which row, never the address.
        let events = app.store.team_events(100).await.unwrap();
        let removals: Vec<_> = events
            .iter()
            .filter(|e| e.action == "subscription.removed")
            .collect();
        assert_eq!(removals.len(), 2, "{backend}: {events:?}");
        assert!(removals.iter().all(|e| e.actor == "alice@example.org"
            && !e.detail.contains('@')
            && e.detail.contains("project=acme subscriber=")));
    }
}
