//! Published advisories as the world reads them, on both databases: the list, the page and the
//! three documents; a draft is a 404 everywhere.

use crate::support;
use sha2::Digest as _;

use axum::http::StatusCode;
use postern_core::advisory::{Advisory, AdvisoryId, Affected, Credit, CreditRole, VersionRange};
use postern_core::policy::Severity;
use postern_web::IntakeLimits;
use support::{TestApp, now, project};

fn advisory() -> Advisory {
    Advisory {
        id: AdvisoryId::new("ACME", 2026, 3),
        project: "acme".into(),
        title: "Stored XSS in widget titles".into(),
        summary: "Widget titles were rendered without escaping".into(),
        details: "Titles were inserted as HTML. <script>alert(1)</script> **Upgrade.**".into(),
        severity: Some(Severity::Medium),
        cvss_v3: Some("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N".into()),
        cvss_v4: None,
        cwes: vec!["CWE-79".into()],
        affected: vec![Affected {
            ecosystem: "npm".into(),
            package: "acme-widgets".into(),
            ranges: vec![VersionRange {
                introduced: "0".into(),
                fixed: Some("3.1.4".into()),
                last_affected: None,
            }],
            versions: Vec::new(),
        }],
        references: Vec::new(),
        credits: vec![
            Credit {
                name: Some("Grace Hopper".into()),
                role: CreditRole::Finder,
                contact: Vec::new(),
            },
            Credit {
                name: None,
                role: CreditRole::Reporter,
                contact: Vec::new(),
            },
        ],
        aliases: vec!["CVE-2026-40001".into()],
        published: None,
        modified: now(),
    }
}

#[tokio::test]
async fn a_published_advisory_is_served_as_a_page_and_three_documents() {
    for app in TestApp::all(vec![project("Acme", "")], IntakeLimits::default()).await {
        let a = advisory();
        app.store
            .save_advisory(&a, None, "alice@example.org", now())
            .await
            .unwrap();
        let base = format!("/advisories/{}", a.id);
        for path in [
            base.clone(),
            format!("{base}/osv.json"),
            format!("{base}/csaf.json"),
        ] {
            assert_eq!(
                app.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "draft {path} on {}",
                app.backend
            );
        }
        assert!(
            !app.get("/advisories")
                .await
                .text()
                .contains("ACME-2026-0003")
        );

        app.store
            .publish_advisory(&a.id, "alice@example.org", now())
            .await
            .unwrap();
        let list = app.get("/advisories").await.text();
        assert!(
            list.contains("ACME-2026-0003") && list.contains("Widget titles were rendered"),
            "{list}"
        );
        let page = app.get(&base).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("Stored XSS in widget titles"));
        let heading = html
            .split("<h1>")
            .nth(1)
            .and_then(|h| h.split("</h1>").next())
            .unwrap_or_default();
        assert_eq!(
            heading.matches("ACME-2026-0003").count(),
            1,
            "the heading names the id once: {heading}"
        );
        assert!(
            html.contains("<td>&#60; 3.1.4</td><td>3.1.4</td>"),
            "{html}"
        );
        assert!(
            html.contains("<strong>Upgrade.</strong>"),
            "Markdown is rendered"
        );
        assert!(!html.contains("<script>alert(1)"), "and sanitised");
        assert!(
            html.contains("Grace Hopper (finder)") && html.contains("Anonymous (reporter)"),
            "{html}"
        );

        let osv = app.get(&format!("{base}/osv.json")).await;
        assert_eq!(osv.headers["content-type"], "application/json");
        let osv = osv.json();
        assert_eq!(osv["id"], "x_ACME-2026-0003");
        assert_eq!(osv["affected"][0]["package"]["name"], "acme-widgets");
        let csaf = app.get(&format!("{base}/csaf.json")).await.json();
        assert_eq!(csaf["document"]["tracking"]["id"], "ACME-2026-0003");
        assert_eq!(csaf["document"]["tracking"]["status"], "final");
        let cve = app.get(&format!("{base}/cve.json")).await.json();
        assert_eq!(cve["cveMetadata"]["cveId"], "CVE-2026-40001");
        let hall = app.get("/hall-of-fame").await.text();
        assert!(
            hall.contains("Grace Hopper (<a href=\"/advisories/ACME-2026-0003\">"),
            "{hall}"
        );
        assert!(
            !hall.contains("Anonymous"),
            "the anonymous reporter is not listed"
        );
        // The CSAF provider layout.
        let metadata = app
            .get("/.well-known/csaf/provider-metadata.json")
            .await
            .json();
        assert_eq!(metadata["role"], "csaf_provider");
        assert_eq!(
            metadata["distributions"][0]["directory_url"],
            "https://sec.example.org/.well-known/csaf/white/"
        );
        let index = app.get("/.well-known/csaf/white/index.txt").await.text();
        assert_eq!(index, "2026/acme-2026-0003.json\n");
        let changes = app.get("/.well-known/csaf/white/changes.csv").await.text();
        assert_eq!(
            changes,
            "\"2026/acme-2026-0003.json\",\"2026-11-23T10:00:00Z\"\n"
        );
        let doc = app
            .get("/.well-known/csaf/white/2026/acme-2026-0003.json")
            .await
            .json();
        assert_eq!(doc["document"]["tracking"]["id"], "ACME-2026-0003");
        let url = "https://sec.example.org/.well-known/csaf/white/2026/acme-2026-0003.json";
        assert_eq!(doc["document"]["references"][0]["url"], url);
        assert_eq!(
            app.get("/.well-known/csaf/white/2025/acme-2026-0003.json")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // Its hashes, over the very bytes served (made again at each request, alike).
        let body = app
            .get("/.well-known/csaf/white/2026/acme-2026-0003.json")
            .await
            .body;
        let sha256 = app
            .get("/.well-known/csaf/white/2026/acme-2026-0003.json.sha256")
            .await
            .text();
        let digest: String = sha2::Sha256::digest(&body[..])
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(sha256, format!("{digest}  acme-2026-0003.json\n"));
        let sha512 = app
            .get("/.well-known/csaf/white/2026/acme-2026-0003.json.sha512")
            .await
            .text();
        assert_eq!(sha512.split_once("  ").unwrap().0.len(), 128);
        // The folders are listed; a year without documents is not there.
        let year = app.get("/.well-known/csaf/white/2026/").await.text();
        for file in [".json\"", ".json.sha256\"", ".json.sha512\""] {
            assert!(
                year.contains(&format!(
                    "/.well-known/csaf/white/2026/acme-2026-0003{file}"
                )),
                "{year}"
            );
        }
        assert_eq!(
            app.get("/.well-known/csaf/white/2025/").await.status,
            StatusCode::NOT_FOUND
        );
        let white = app.get("/.well-known/csaf/white/").await.text();
        assert!(
            white.contains("href=\"/.well-known/csaf/white/2026/\""),
            "{white}"
        );
        // The ROLIE feed names the document, its hash files and its categories.
        let feed = app
            .get("/.well-known/csaf/feed-tlp-white.json")
            .await
            .json();
        let entry = &feed["feed"]["entry"][0];
        assert_eq!(entry["id"], "ACME-2026-0003");
        assert_eq!(entry["title"], "Stored XSS in widget titles");
        assert_eq!(entry["content"]["src"], url);
        assert_eq!(entry["link"][1]["href"], format!("{url}.sha256"));
        assert_eq!(feed["feed"]["category"][0]["term"], "csaf");
        let categories = app
            .get("/.well-known/csaf/category-white.json")
            .await
            .json();
        assert_eq!(
            categories["categories"]["category"][1]["term"],
            "acme-widgets"
        );
        // Without a project key: no signature, and only the provider role.
        let asc = "/.well-known/csaf/white/2026/acme-2026-0003.json.asc";
        assert_eq!(app.get(asc).await.status, StatusCode::NOT_FOUND);
        assert!(metadata.get("public_openpgp_keys").is_none());
        // With one, every document is signed: the listing, the feed and the metadata say so.
        let key = app
            .uses
            .generate_project_key(&postern_app::Actor::operator("test"), "acme")
            .await
            .unwrap();
        let fingerprint = key.key.fingerprint.clone();
        let signature = app.get(asc).await;
        assert_eq!(signature.status, StatusCode::OK);
        assert!(
            signature
                .text()
                .starts_with("-----BEGIN PGP SIGNATURE-----")
        );
        let metadata = app
            .get("/.well-known/csaf/provider-metadata.json")
            .await
            .json();
        assert_eq!(metadata["role"], "csaf_trusted_provider");
        assert_eq!(
            metadata["public_openpgp_keys"][0]["fingerprint"],
            fingerprint.as_str()
        );
        let public = app
            .get(&format!("/.well-known/csaf/openpgp/{fingerprint}.asc"))
            .await;
        assert!(
            public
                .text()
                .starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----")
        );
        let feed = app
            .get("/.well-known/csaf/feed-tlp-white.json")
            .await
            .json();
        assert_eq!(
            feed["feed"]["entry"][0]["link"][3]["href"],
            format!("{url}.asc")
        );
        let year = app.get("/.well-known/csaf/white/2026/").await.text();
        assert!(year.contains("acme-2026-0003.json.asc\""), "{year}");
        let feed = app.get("/advisories.atom").await;
        assert_eq!(
            feed.headers["content-type"],
            "application/atom+xml; charset=utf-8"
        );
        let feed = atom_syndication::Feed::read_from(&feed.body[..]).unwrap();
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(
            feed.entries[0].title.value,
            "ACME-2026-0003: Stored XSS in widget titles"
        );
        assert_eq!(
            feed.entries[0].links[0].href,
            "https://sec.example.org/advisories/ACME-2026-0003"
        );
        assert_eq!(
            app.get(&format!("{base}/other.json")).await.status,
            StatusCode::NOT_FOUND
        );
        // An advisory of a project no longer served stays in the directory, unsigned (its key
        // is not served either), and the provider is then no longer a trusted one.
        let mut gone = advisory();
        gone.id = AdvisoryId::new("GONE", 2026, 1);
        gone.project = "gone".into();
        app.store
            .save_advisory(&gone, None, "alice@example.org", now())
            .await
            .unwrap();
        app.store
            .publish_advisory(&gone.id, "alice@example.org", now())
            .await
            .unwrap();
        let feed = app
            .get("/.well-known/csaf/feed-tlp-white.json")
            .await
            .json();
        let entries = feed["feed"]["entry"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        let links = |id: &str| {
            entries
                .iter()
                .find(|e| e["id"] == id)
                .map(|e| e["link"].as_array().unwrap().len())
        };
        assert_eq!(
            (links("ACME-2026-0003"), links("GONE-2026-0001")),
            (Some(4), Some(3))
        );
        assert_eq!(
            app.get("/.well-known/csaf/white/2026/gone-2026-0001.json.asc")
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        let metadata = app
            .get("/.well-known/csaf/provider-metadata.json")
            .await
            .json();
        assert_eq!(metadata["role"], "csaf_provider");
    }
}

#[tokio::test]
async fn the_list_filters_by_project_and_severity_and_pages_by_keyset() {
    let projects = vec![
        project(
            "Acme",
            "[credit]\noffered = true\nplaces = [\"advisories\", \"hall-of-fame\"]\n",
        ),
        project("Other", ""),
    ];
    for app in TestApp::all(projects, IntakeLimits::default()).await {
        // Acme: 201 medium advisories and one critical, one a day; Other: one high.
        let day = jiff::SignedDuration::from_hours(24);
        let mut base = advisory();
        base.credits.truncate(1);
        base.aliases.clear();
        for n in 0..202u32 {
            let mut a = base.clone();
            a.id = AdvisoryId::new("ACME", 2026, n + 1);
            a.severity = Some(if n == 7 {
                Severity::Critical
            } else {
                Severity::Medium
            });
            let at = now() - day * i32::try_from(300 - n).unwrap();
            a.modified = at;
            app.store
                .save_advisory(&a, None, "alice", at)
                .await
                .unwrap();
            app.store
                .publish_advisory(&a.id, "alice", at)
                .await
                .unwrap();
        }
        let mut other = base.clone();
        other.id = AdvisoryId::new("OTHER", 2026, 1);
        other.project = "other".into();
        other.severity = Some(Severity::High);
        other.credits[0].name = Some("Only Other".into());
        app.store
            .save_advisory(&other, None, "bob", now())
            .await
            .unwrap();
        app.store
            .publish_advisory(&other.id, "bob", now())
            .await
            .unwrap();

        let first = app.get("/advisories").await.text();
        assert_eq!(first.matches("<tr><td><a href=\"/advisories/").count(), 200);
        assert!(first.contains("OTHER-2026-0001"), "the newest first");
        // The next page starts after the last row shown, filters kept.
        let next = first
            .split("rel=\"next\" href=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a link to older advisories")
            .replace("&amp;", "&");
        let second = app.get(&next).await.text();
        assert_eq!(
            second.matches("<tr><td><a href=\"/advisories/").count(),
            3,
            "{next}"
        );
        assert!(second.contains("ACME-2026-0001") && !second.contains("rel=\"next\""));

        let critical = app.get("/advisories?severity=critical").await.text();
        assert_eq!(critical.matches("<tr><td>").count(), 1, "{critical}");
        assert!(critical.contains("ACME-2026-0008"));
        let other_high = app
            .get("/advisories?project=other&severity=high")
            .await
            .text();
        assert!(other_high.contains("OTHER-2026-0001") && !other_high.contains("ACME-2026"));
        let none = app
            .get("/advisories?project=other&severity=low")
            .await
            .text();
        assert!(none.contains("No published advisory matches."), "{none}");

        // Each project's hall of fame, where its security.txt points.
        let txt = app.get("/.well-known/security.txt").await.text();
        assert!(
            txt.contains("Acknowledgments: https://sec.example.org/hall-of-fame\n"),
            "{txt}"
        );
        let other_txt = app.get("/projects/other/security.txt").await.text();
        assert!(
            !other_txt.contains("Acknowledgments"),
            "Other names no hall of fame among its credit places: {other_txt}"
        );
        let hall = app.get("/projects/other/hall-of-fame").await.text();
        assert!(
            hall.contains("Only Other") && !hall.contains("Grace Hopper"),
            "{hall}"
        );
        let all = app.get("/hall-of-fame").await.text();
        assert!(all.contains("Only Other") && all.contains("Grace Hopper"));
        // The hall of fame is kept between requests, and redone when an advisory is published.
        let mut newer = base.clone();
        newer.id = AdvisoryId::new("ACME", 2026, 999);
        newer.credits[0].name = Some("Newly Credited".into());
        app.store
            .save_advisory(&newer, None, "alice", now())
            .await
            .unwrap();
        assert!(
            !app.get("/hall-of-fame")
                .await
                .text()
                .contains("Newly Credited")
        );
        app.store
            .publish_advisory(
                &newer.id,
                "alice",
                now() + jiff::SignedDuration::from_secs(1),
            )
            .await
            .unwrap();
        assert!(
            app.get("/hall-of-fame")
                .await
                .text()
                .contains("Newly Credited")
        );
        assert_eq!(
            app.get("/projects/nope/hall-of-fame").await.status,
            StatusCode::NOT_FOUND
        );
        // The CSAF index lists every advisory, beyond any page size.
        let index = app.get("/.well-known/csaf/white/index.txt").await.text();
        assert_eq!(index.lines().count(), 204);
    }
}
