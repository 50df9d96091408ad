//! The screening pages on both databases: mail that waits for a person is listed (and counted
//! on the queue), shown escaped, and decided on with one action each; roles are enforced and
//! the original message is only ever a download, for admins.

use axum::http::StatusCode;
use postern_app::mail::{Ingested, ScreenReason};
use postern_store::team::Role;
use postern_web::IntakeLimits;

use crate::support::{Browser, TestApp, hidden, location};
use crate::team::{acme, set_up};

const XSS: &str = "<script>alert(1)</script>";

fn lost_mail() -> Vec<u8> {
    format!(
        "From: Ada <ada@example.net>\r\nTo: webmaster@acme.example.org\r\nSubject: Auth bypass {XSS}\r\nMessage-ID: <lost1@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe admin page needs no password. <img src=x onerror=alert(2)>\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn screened_mail_is_listed_escaped_and_made_a_report_in_one_action() {
    for app in TestApp::all(vec![acme()], IntakeLimits::default()).await {
        let Ingested::Screened { item, reason } =
            app.uses.ingest_mail(&lost_mail(), None).await.unwrap()
        else {
            panic!("{}: not screened", app.backend)
        };
        assert_eq!(reason, ScreenReason::UnknownAddress);
        let mut viewer = Browser::new(&app);
        set_up(&mut viewer, "view@example.org", Role::Viewer, &[]).await;
        let mut tri = Browser::new(&app);
        set_up(&mut tri, "tri@example.org", Role::Triager, &[]).await;

        let queue = tri.get("/team").await.text();
        assert!(
            queue.contains("1 message from the security mailbox waits"),
            "{}: {queue}",
            app.backend
        );
        let list = tri.get("/team/screening").await;
        assert_eq!(list.status, StatusCode::OK);
        let list = list.text();
        assert!(list.contains("Unknown address"), "{list}");
        assert!(list.contains("Ada &#60;ada@example.net&#62;"), "{list}");
        assert!(!list.contains(XSS), "escaped: {list}");
        let page = tri.get(&format!("/team/screening/{item}")).await.text();
        assert!(
            page.contains("no project&#39;s policy names")
                || page.contains("no project's policy names"),
            "{page}"
        );
        // The text is Markdown as every typed text is; the HTML in it is shown, as text.
        assert!(
            page.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "{page}"
        );
        assert!(!page.contains("<img src=x"), "{page}");
        assert!(
            !page.contains("Download the original"),
            "triagers do not download"
        );

        // A viewer sees it but cannot decide.
        let seen = viewer.get(&format!("/team/screening/{item}")).await.text();
        assert!(!seen.contains("Make it a report"));
        let csrf = hidden(&seen, "csrf");
        let refused = viewer
            .post(
                &format!("/team/screening/{item}/decide"),
                &[("csrf", &csrf), ("decision", "report")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());

        let csrf = hidden(&page, "csrf");
        let made = tri
            .post(
                &format!("/team/screening/{item}/decide"),
                &[("csrf", &csrf), ("decision", "report")],
            )
            .await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
        let to = location(&made);
        assert!(to.starts_with("/team/reports/"), "{to}");
        let report = tri.get(&to).await.text();
        assert!(
            report.contains("The admin page needs no password."),
            "{report}"
        );
        // A second decision is a conflict, and nothing waits any more.
        let again = tri
            .post(
                &format!("/team/screening/{item}/decide"),
                &[("csrf", &csrf), ("decision", "discard")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
        let list = tri.get("/team/screening").await.text();
        assert!(list.contains("Nothing waits"), "{list}");
        let made = tri.get("/team/screening?state=report").await.text();
        assert!(made.contains("tri@example.org"), "{made}");
        // The report it became, by its title (the subject), escaped.
        assert!(
            made.contains(&format!(
                "Report: <a href=\"{to}\">Auth bypass &#60;script&#62;alert(1)&#60;/script&#62;</a>"
            )),
            "{made}"
        );
        assert!(
            report.contains("<h1>Auth bypass &#60;script&#62;alert(1)&#60;/script&#62;</h1>"),
            "{report}"
        );
    }
}

#[tokio::test]
async fn the_original_message_is_a_sandboxed_download_for_admins_only() {
    let app = TestApp::new(vec![acme()]).await;
    let Ingested::Screened { item, .. } = app.uses.ingest_mail(&lost_mail(), None).await.unwrap()
    else {
        panic!()
    };
    let mut admin = Browser::new(&app);
    set_up(&mut admin, "admin@example.org", Role::Admin, &[]).await;
    let page = admin.get(&format!("/team/screening/{item}")).await.text();
    assert!(page.contains("Download the original message"));
    let csrf = hidden(&page, "csrf");
    let download = admin
        .post(
            &format!("/team/screening/{item}/original"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-type"], "application/octet-stream");
    assert_eq!(download.headers["content-security-policy"], "sandbox");
    assert!(
        download.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(download.body, lost_mail());
    // Without the CSRF token, nothing.
    let forged = admin
        .post(
            &format!("/team/screening/{item}/original"),
            &[("csrf", "x")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}
