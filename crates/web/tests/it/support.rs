//! Builds the application in-process on a real SQLite store in a temporary directory.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt as _;
use jiff::Timestamp;
use postern_core::policy::parse_str;
use postern_store::{Store, StoreConfig};
use postern_web::{AppState, Clock, IntakeLimits, ManualClock, Project, router};
use tower::ServiceExt as _;

pub fn now() -> Timestamp {
    "2026-11-23T10:00:00Z".parse().unwrap()
}

pub fn project(name: &str, extra: &str) -> Project {
    let source = format!(
        "[project]\nname = \"{name}\"\n\n[[channels]]\nkind = \"email\"\nemail = \"security@{}.example.org\"\n\n[[channels]]\nkind = \"web-form\"\n{extra}",
        name.to_lowercase()
    );
    let checked = parse_str(&source, now());
    Project {
        policy: checked
            .policy
            .unwrap_or_else(|| panic!("{:?}", checked.diagnostics)),
    }
}

pub struct TestApp {
    pub app: axum::Router,
    /// The metrics listener's router (`serve --metrics-listen`) over the same state.
    pub metrics: axum::Router,
    /// The use cases behind the router: what the terminal commands call.
    pub uses: postern_app::App,
    pub store: Store,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
    /// "sqlite" or "postgres", for assertion messages.
    pub backend: &'static str,
    /// PostgreSQL URL and the schema made for this app, dropped with it.
    schema: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let Some((url, schema)) = self.schema.take() else {
            return;
        };
        // The test's runtime is ending; drop the schema from a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ =
                        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                            .execute(&pool)
                            .await;
                }
            });
        })
        .join();
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl TestApp {
    pub async fn new(projects: Vec<Project>) -> TestApp {
        TestApp::with_limits(projects, IntakeLimits::default()).await
    }

    pub async fn with_limits(projects: Vec<Project>, limits: IntakeLimits) -> TestApp {
        TestApp::on(None, projects, limits).await
    }

    /// One app on SQLite, and one on PostgreSQL when `POSTERN_TEST_POSTGRES` is set (else a
    /// visible note): the integration tests run on both databases.
    pub async fn all(projects: Vec<Project>, limits: IntakeLimits) -> Vec<TestApp> {
        let mut apps = vec![TestApp::on(None, projects.clone(), limits).await];
        match std::env::var("POSTERN_TEST_POSTGRES") {
            Ok(url) => apps.push(TestApp::on(Some(url), projects, limits).await),
            Err(_) => {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "NOTE: skipping PostgreSQL: POSTERN_TEST_POSTGRES not set"
                );
            }
        }
        apps
    }

    async fn on(postgres: Option<String>, projects: Vec<Project>, limits: IntakeLimits) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let (config, schema, backend) = match postgres {
            None => (
                StoreConfig {
                    database_url: None,
                    postgres_schema: None,
                },
                None,
                "sqlite",
            ),
            Some(url) => {
                let schema = format!(
                    "web_{}",
                    data_encoding::HEXLOWER
                        .encode(&postern_store::vault::random_bytes::<6>().unwrap())
                );
                let admin = sqlx::PgPool::connect(&url)
                    .await
                    .expect("POSTERN_TEST_POSTGRES reachable");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                (
                    StoreConfig {
                        database_url: Some(url.clone()),
                        postgres_schema: Some(schema.clone()),
                    },
                    Some((url, schema)),
                    "postgres",
                )
            }
        };
        let store = Store::open(&config, dir.path()).await.unwrap();
        let (clock, handle) = Clock::manual(now());
        let state = AppState::new(
            projects,
            store.clone(),
            "https://sec.example.org/",
            clock,
            limits,
        );
        TestApp {
            uses: state.app().clone(),
            metrics: postern_web::metrics_router(state.clone()),
            app: router(state),
            store,
            clock: handle,
            dir,
            backend,
            schema,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_json(
        &self,
        path: &str,
        json: &serde_json::Value,
        key: Option<&str>,
    ) -> Reply {
        let mut request = Request::post(path).header("content-type", "application/json");
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        self.send(request.body(Body::from(json.to_string())).unwrap())
            .await
    }

    pub async fn get_with_key(&self, path: &str, key: &str) -> Reply {
        self.send(
            Request::get(path)
                .header("authorization", format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Reply {
        let body: String = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            Request::post(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Posts multipart form data: text parts, then file parts (name, filename, bytes).
    pub async fn post_multipart(
        &self,
        path: &str,
        texts: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let boundary = "postern-test-boundary-4f2a";
        let mut body = Vec::new();
        for (name, value) in texts {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for (name, filename, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/html\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post(path)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the hidden form token in a page.
pub fn form_token(html: &str) -> String {
    let start = html
        .find("name=\"form_token\" value=\"")
        .expect("form token")
        + "name=\"form_token\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The case key shown on the confirmation page.
pub fn shown_case_key(html: &str) -> String {
    let start = html
        .find("id=\"case-key\" class=\"key\" type=\"text\" value=\"")
        .expect("case key shown")
        + "id=\"case-key\" class=\"key\" type=\"text\" value=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A browser's cookie jar over the in-process app: keeps the session cookie it is given.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
    pub origin: Option<String>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookie: None,
            origin: Some("https://sec.example.org".into()),
        }
    }

    fn keep_cookie(&mut self, reply: &Reply) {
        if let Some(set) = reply.headers.get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = pair
                .split_once('=')
                .filter(|(_, v)| !v.is_empty())
                .map(|_| pair.clone());
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let mut request = Request::get(path);
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        let reply = self.app.send(request.body(Body::empty()).unwrap()).await;
        self.keep_cookie(&reply);
        reply
    }

    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Reply {
        let body: String = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        if let Some(o) = &self.origin {
            request = request.header("origin", o);
        }
        let reply = self.app.send(request.body(Body::from(body)).unwrap()).await;
        self.keep_cookie(&reply);
        reply
    }
}

impl Browser<'_> {
    /// Posts multipart form data with the session cookie and Origin: text parts, then file
    /// parts (name, filename, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        texts: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Reply {
        let boundary = "postern-test-boundary-77c1";
        let mut body = Vec::new();
        for (name, value) in texts {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for (name, filename, bytes) in files {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n").as_bytes());
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut request = Request::post(path).header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        if let Some(o) = &self.origin {
            request = request.header("origin", o);
        }
        let reply = self.app.send(request.body(Body::from(body)).unwrap()).await;
        self.keep_cookie(&reply);
        reply
    }
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Where a redirect goes.
pub fn location(reply: &Reply) -> String {
    reply
        .headers
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
