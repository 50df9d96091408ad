//! The demo's `/stats`, recounted by a second, plain route: straight from the demo database's
//! audit events and stored clocks, with none of Postern's statistics code, and written out as
//! the page writes its figures. Both must agree to the minute, project by project.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use sqlx::Row as _;

use crate::support::{http_get, sigterm, start};

/// The demo's projects, as the page names them, with their slugs.
const PROJECTS: [(&str, &str); 3] = [
    ("Acme Widgets", "acme-widgets"),
    ("OpenChat", "openchat"),
    ("Linly-Talker", "linly-talker"),
];

/// Fewer reports than this and a figure is withheld.
const FEWEST: usize = 3;

/// A table as its rows of cells.
type Rows = Vec<Vec<String>>;

/// One project's figures as the page shows them: the reports counted, and its tables (times
/// to each stage, promises kept, promises with no set time).
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    reports: usize,
    tables: Vec<Rows>,
}

/// A report as the database has it.
struct Report {
    id: String,
    received_at: Timestamp,
    severity: Option<String>,
    clocks: Vec<serde_json::Value>,
}

/// What the recount reads once: every report and the moments of its audit events.
struct Database {
    reports: Vec<(String, Report)>,
    events: HashMap<String, Vec<(String, Timestamp)>>,
}

fn at_millis(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap()
}

async fn read(path: &std::path::Path) -> Database {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}?mode=ro", path.display()))
        .await
        .unwrap();
    let reports = sqlx::query("SELECT id, project, received_at, severity, clocks FROM reports")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let clocks: String = r.get("clocks");
            (
                r.get::<String, _>("project"),
                Report {
                    id: r.get("id"),
                    received_at: at_millis(r.get("received_at")),
                    severity: r.get("severity"),
                    clocks: serde_json::from_str(&clocks).unwrap(),
                },
            )
        })
        .collect();
    let mut events: HashMap<String, Vec<(String, Timestamp)>> = HashMap::new();
    for r in
        sqlx::query("SELECT report_id, action, at FROM audit_events WHERE report_id IS NOT NULL")
            .fetch_all(&pool)
            .await
            .unwrap()
    {
        events
            .entry(r.get("report_id"))
            .or_default()
            .push((r.get("action"), at_millis(r.get("at"))));
    }
    pool.close().await;
    Database { reports, events }
}

/// "3 h 20 min", "2 days 4 h": whole minutes, as people read a duration.
fn human(d: SignedDuration) -> String {
    let minutes = d.as_secs().max(0) / 60;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{mins} min"),
        (0, h) => format!("{h} h {mins} min"),
        (1, h) => format!("1 day {h} h"),
        (d, h) => format!("{d} days {h} h"),
    }
}

/// A row of times: what, how many, the median and the 90th percentile (nearest rank), or —
/// below `FEWEST`.
fn times_row(what: &str, mut values: Vec<SignedDuration>) -> Vec<String> {
    values.sort();
    let n = values.len();
    let (median, p90) = if n < FEWEST {
        ("—".to_owned(), "—".to_owned())
    } else {
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            let (low, high) = (values[n / 2 - 1], values[n / 2]);
            low + (high - low) / 2
        };
        let rank = (n * 9).div_ceil(10);
        (human(median), human(values[rank - 1]))
    };
    vec![what.to_owned(), n.to_string(), median, p90]
}

fn moment(value: &serde_json::Value) -> Option<Timestamp> {
    value.as_str().map(|s| s.parse().unwrap())
}

/// The first moment of any of `actions` among a report's events.
fn first(events: &[(String, Timestamp)], actions: &[&str]) -> Option<Timestamp> {
    events
        .iter()
        .filter(|(a, _)| actions.contains(&a.as_str()))
        .map(|(_, at)| *at)
        .min()
}

/// One project's figures at `now`, counted plainly.
fn recount(db: &Database, slug: &str, now: Timestamp) -> Figures {
    let day_start = now.as_second() - now.as_second().rem_euclid(86_400);
    let since = Timestamp::from_second(day_start - 365 * 86_400).unwrap();
    let reports: Vec<&Report> = db
        .reports
        .iter()
        .filter(|(project, r)| project == slug && r.received_at >= since)
        .map(|(_, r)| r)
        .collect();
    let none = Vec::new();
    let events = |r: &Report| db.events.get(&r.id).unwrap_or(&none);
    let since_receipt = |r: &Report, actions: &[&str]| {
        first(events(r), actions).map(|at| at.duration_since(r.received_at))
    };
    let mut times = vec![
        times_row(
            "acknowledge",
            reports
                .iter()
                .filter_map(|r| {
                    since_receipt(
                        r,
                        &["report.acknowledged", "report.accepted", "report.closed"],
                    )
                })
                .collect(),
        ),
        times_row(
            "triage",
            reports
                .iter()
                .filter_map(|r| since_receipt(r, &["report.accepted", "report.closed"]))
                .collect(),
        ),
    ];
    for (name, title) in [
        ("critical", "Critical"),
        ("high", "High"),
        ("medium", "Medium"),
        ("low", "Low"),
    ] {
        let fixed: Vec<SignedDuration> = reports
            .iter()
            .filter(|r| r.severity.as_deref() == Some(name))
            .filter_map(|r| since_receipt(r, &["report.fixed"]))
            .collect();
        if !fixed.is_empty() {
            times.push(times_row(&format!("fix ({title})"), fixed));
        }
    }
    let mut kept = Vec::new();
    let mut untimed = Vec::new();
    for (kind, promise) in [
        ("acknowledge", "acknowledge the report"),
        ("assess", "give an initial assessment"),
        ("plan", "send a detailed plan"),
        ("update", "send the reporter an update"),
        ("fix", "have a fix ready"),
        ("release", "release the fix"),
        ("disclose", "disclose publicly"),
    ] {
        let clocks: Vec<&serde_json::Value> = reports
            .iter()
            .flat_map(|r| &r.clocks)
            .filter(|c| c["kind"] == kind)
            .collect();
        let (mut met, mut missed) = (0usize, 0usize);
        for c in &clocks {
            match c["outcome"].as_str() {
                Some("met") => met += 1,
                Some("missed") => missed += 1,
                Some(_) => {}
                // Past its limit, not paused, never kept: broken already.
                None => {
                    if c["paused_at"].is_null() && moment(&c["limit_at"]).is_some_and(|l| now > l) {
                        missed += 1;
                    }
                }
            }
        }
        let counted = met + missed;
        if counted > 0 {
            let share = if counted < FEWEST {
                "—".to_owned()
            } else {
                format!("{} %", (met * 100 + counted / 2) / counted)
            };
            kept.push(vec![
                promise.to_owned(),
                counted.to_string(),
                missed.to_string(),
                share,
            ]);
        }
        let ages: Vec<SignedDuration> = clocks
            .iter()
            .filter(|c| c["outcome"] == "kept")
            .map(|c| {
                moment(&c["resolved_at"])
                    .unwrap()
                    .duration_since(moment(&c["started_at"]).unwrap())
            })
            .collect();
        if !ages.is_empty() {
            untimed.push(times_row(promise, ages));
        }
    }
    let mut tables = vec![times, kept];
    if !untimed.is_empty() {
        tables.push(untimed);
    }
    Figures {
        reports: reports.len(),
        tables,
    }
}

/// The cells of each row of each table between two marks of the page.
fn tables(html: &str) -> Vec<Rows> {
    html.split("<tbody>")
        .skip(1)
        .map(|table| {
            let body = table.split("</tbody>").next().unwrap();
            body.split("<tr>")
                .skip(1)
                .map(|row| {
                    row.split("<td>")
                        .skip(1)
                        .map(|cell| cell.split("</td>").next().unwrap().to_owned())
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// One project's figures as the page shows them.
fn shown(page: &str, name: &str) -> Figures {
    let block = page
        .split(&format!("<h2>{name}</h2>"))
        .nth(1)
        .unwrap_or_else(|| panic!("{name} on the page: {page}"));
    let block = block.split("<h2>").next().unwrap();
    let reports = block
        .split("<p>")
        .nth(1)
        .and_then(|p| p.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count of reports: {block}"));
    Figures {
        reports,
        tables: tables(block),
    }
}

#[test]
fn the_demos_stats_are_what_a_plain_recount_of_its_events_and_clocks_gives() {
    let data = tempfile::tempdir().unwrap();
    let demo = data.path().join("demo");
    let mut server = start(&["--demo"], &demo);
    // Wait until the demo's mail, the last thing seeded, is in.
    server.wait_for("Took the demo's mail");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let database = demo.join("postern.sqlite3");
    // A running promise may pass its limit while the page is read: take a reading whose
    // recount is the same just before and just after it.
    let mut compared = false;
    for _ in 0..5 {
        let before = Timestamp::now();
        let (status, page) = http_get(&server.address, "/stats");
        let after = Timestamp::now();
        assert_eq!(status, "HTTP/1.1 200 OK");
        let db = runtime.block_on(read(&database));
        let early: Vec<Figures> = PROJECTS
            .iter()
            .map(|(_, s)| recount(&db, s, before))
            .collect();
        let late: Vec<Figures> = PROJECTS
            .iter()
            .map(|(_, s)| recount(&db, s, after))
            .collect();
        if early != late {
            continue;
        }
        let day_start = before.as_second() - before.as_second().rem_euclid(86_400);
        let since = Timestamp::from_second(day_start - 365 * 86_400).unwrap();
        assert!(
            page.contains(&format!(
                "counting every report received from {} (included)",
                since.strftime("%Y-%m-%d %H:%M UTC")
            )),
            "the window the page states: {page}"
        );
        let mut reports = 0;
        for ((name, _), recounted) in PROJECTS.iter().zip(early) {
            assert_eq!(shown(&page, name), recounted, "{name}");
            assert!(recounted.reports >= 3, "{name}: {recounted:?}");
            reports += recounted.reports;
        }
        // Every demo report is inside the window: 48 seeded, and the one that came by mail.
        assert_eq!(reports, 48 + 1);
        compared = true;
        break;
    }
    assert!(compared, "no quiet moment to compare in five readings");
    assert_eq!(sigterm(&mut server).code(), Some(0));
}
