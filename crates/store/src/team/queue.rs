//! The work queue: open reports ordered by their next deadline (closed or all reports newest
//! first), filtered by project, state, severity, overdue, assignee and a search (keyed tokens,
//! `crate::search`), from plain columns; of each row listed, only its title is opened
//! (`titles`).

use jiff::Timestamp;
use postern_core::case::parse_severity;
use postern_core::policy::Severity;
use postern_core::report::{REPORT_ID_CHARS, ReportId, ReportStatus};
use postern_core::search::SearchQuery;
use sqlx::Row as _;

use super::rows::{NO_DEADLINE, severity_name};
use super::titles::{SealedTitle, TITLE_COLUMNS, sealed_title};
use crate::write::{Value, text};
use crate::{Db, Store, StoreError, from_millis, millis, on_db};

/// Most rows the queue returns per page.
pub const QUEUE_PAGE_MAX: usize = 200;
/// A searched word found in fewer reports than this is read first, its reports then checked
/// against the filters and sorted (`search`); a word found in more is checked row by row while
/// the queue is read in its order, which fills a page after a few hundred rows. The slowest
/// words sit near this count either way (BENCHMARKS.md).
pub const SEARCH_READ_FIRST_MAX: i64 = 5_000;
/// In the newest- and oldest-first orders, a word found in fewer reports than this drives the
/// read: its tokens are kept in receipt order (`search_tokens`' key), so its reports are read
/// in the page's order and the read stops once the page is full.
pub const SEARCH_DRIVE_MAX: i64 = 20_000;

/// Which states the queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueState {
    /// Every report not closed, next deadline first.
    #[default]
    Open,
    /// Every report, newest first.
    All,
    /// Reports in this state: next deadline first, closed ones newest first.
    Only(ReportStatus),
}

/// How a queue's rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    /// The running deadline due first comes first; reports with none running come last.
    NextDeadline,
    /// The report received last comes first.
    Newest,
    /// The report received first comes first.
    Oldest,
    /// Critical first, then high, medium, low and unrated; by next deadline within each.
    Severity,
}

impl QueueOrder {
    /// From a sort parameter's words: deadline, newest, oldest or severity; the error says
    /// what to write.
    pub fn parse(text: &str) -> Result<QueueOrder, String> {
        match text.trim() {
            "deadline" => Ok(QueueOrder::NextDeadline),
            "newest" => Ok(QueueOrder::Newest),
            "oldest" => Ok(QueueOrder::Oldest),
            "severity" => Ok(QueueOrder::Severity),
            other => Err(format!(
                "{other:?} is not an order: write deadline, newest, oldest or severity"
            )),
        }
    }

    /// The order in words, as a list's caption says it.
    pub fn words(self) -> &'static str {
        match self {
            QueueOrder::NextDeadline => "next deadline first",
            QueueOrder::Newest => "newest first",
            QueueOrder::Oldest => "oldest first",
            QueueOrder::Severity => "most severe first",
        }
    }
}

impl QueueState {
    /// From a filter's words: "" or "open", "all", or a state's name; the error says what to
    /// write.
    pub fn parse(text: &str) -> Result<QueueState, String> {
        match text.trim() {
            "" | "open" => Ok(QueueState::Open),
            "all" => Ok(QueueState::All),
            other => ReportStatus::parse(other)
                .map(QueueState::Only)
                .ok_or_else(|| {
                    let names: Vec<&str> = ReportStatus::ALL.iter().map(|(n, _)| *n).collect();
                    format!(
                        "{other:?} is not a report state: write open, all, or one of {}",
                        names.join(", ")
                    )
                }),
        }
    }

    /// The order its rows come in: by deadline while deadlines can run, else newest first (a
    /// closed report has none: by deadline, closed reports would come in no useful order).
    pub fn order(self) -> QueueOrder {
        match self {
            QueueState::All | QueueState::Only(ReportStatus::Closed) => QueueOrder::Newest,
            QueueState::Open | QueueState::Only(_) => QueueOrder::NextDeadline,
        }
    }
}

/// Filters for the work queue.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only these projects; `None` for all.
    pub projects: Option<Vec<String>>,
    /// Which states.
    pub state: QueueState,
    /// Only this severity.
    pub severity: Option<Severity>,
    /// Only reports with a running clock past its limit at this moment.
    pub overdue_at: Option<Timestamp>,
    /// Only reports assigned to this member (their email), or, with `Some(None)`, to nobody.
    pub assignee: Option<Option<String>>,
    /// The order; `None` for the state's own (`QueueState::order`).
    pub order: Option<QueueOrder>,
    /// Only reports found by every word of this search (`crate::search`).
    pub search: Option<SearchQuery>,
}

/// A row of the work queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    /// Report id.
    pub id: ReportId,
    /// Its title (`core::report::title`), opened for the list.
    pub title: String,
    /// Project slug.
    pub project: String,
    /// Status.
    pub status: ReportStatus,
    /// Severity, once accepted.
    pub severity: Option<Severity>,
    /// When received.
    pub received_at: Timestamp,
    /// The next running clock's limit.
    pub next_due_at: Option<Timestamp>,
    /// The team member it is assigned to (their email).
    pub assignee: Option<String>,
}

impl Store {
    /// The work queue: the reports the filter asks for, in its state's order (`QueueOrder`),
    /// at most `QUEUE_PAGE_MAX`, each with its title.
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        limit: usize,
    ) -> Result<Vec<QueueRow>, StoreError> {
        let limit = limit.min(QUEUE_PAGE_MAX) as i64;
        if filter.projects.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let order = filter.order.unwrap_or(filter.state.order());
        let words = match &filter.search {
            Some(search) => self.search_words(search).await?,
            None => Vec::new(),
        };
        // With a rare word, the order must not make the database walk the reports in it
        // (`+` keeps an index from serving it); the word's few reports are read instead. In
        // receipt order, a word that begins no id drives the read through its tokens instead,
        // joined to their reports (so `reports.received_at` is named in full).
        let rarest = words.iter().enumerate().min_by_key(|(_, w)| w.found);
        let drive = rarest
            .filter(|(_, w)| {
                matches!(order, QueueOrder::Newest | QueueOrder::Oldest)
                    && w.ids_found == 0
                    && w.found < SEARCH_DRIVE_MAX
            })
            .map(|(i, _)| i);
        let read_first = rarest
            .filter(|(_, w)| drive.is_none() && w.found < SEARCH_READ_FIRST_MAX)
            .map(|(i, _)| i);
        let from = if drive.is_some() {
            "search_tokens d JOIN reports ON reports.id = d.report_id AND reports.received_at = d.received_at"
        } else {
            "reports"
        };
        // Conditions are fixed text with numbered parameters; values are always bound.
        let mut sql = format!(
            "SELECT id, project, status, severity, reports.received_at AS received_at, next_due_at, assignee, {TITLE_COLUMNS} FROM {from} WHERE 1 = 1"
        );
        let mut args: Vec<Value> = Vec::new();
        let param = |args: &mut Vec<Value>, v: Value| {
            args.push(v);
            format!("${}", args.len())
        };
        if let Some(projects) = &filter.projects {
            let list: Vec<String> = projects.iter().map(|p| param(&mut args, text(p))).collect();
            sql.push_str(&format!(" AND project IN ({})", list.join(", ")));
        }
        match filter.state {
            QueueState::Only(status) => {
                let p = param(&mut args, text(status.name()));
                sql.push_str(&format!(" AND status = {p}"));
            }
            QueueState::Open => sql.push_str(" AND status <> 'closed'"),
            QueueState::All => {}
        }
        if let Some(severity) = severity_name(filter.severity) {
            let p = param(&mut args, text(severity));
            sql.push_str(&format!(" AND severity = {p}"));
        }
        if let Some(now) = filter.overdue_at {
            let p = param(&mut args, Value::Int(millis(now)));
            sql.push_str(&format!(" AND next_due_at < {p}"));
        }
        match &filter.assignee {
            Some(Some(email)) => {
                let p = param(&mut args, text(email));
                sql.push_str(&format!(" AND assignee = {p}"));
            }
            Some(None) => sql.push_str(" AND assignee IS NULL"),
            None => {}
        }
        for (i, word) in words.iter().enumerate() {
            let t = param(&mut args, Value::Int(word.token));
            if Some(i) == drive {
                // Its tokens, joined above, are its only reports.
                sql.push_str(&format!(" AND d.token = {t}"));
                continue;
            }
            let id_range = match &word.id_range {
                Some((low, high)) => {
                    let low = param(&mut args, text(low));
                    let high = param(&mut args, text(high));
                    Some((low, high))
                }
                None => None,
            };
            if Some(i) == read_first {
                sql.push_str(&format!(
                    " AND id IN (SELECT report_id FROM search_tokens WHERE token = {t}"
                ));
                if let Some((low, high)) = &id_range {
                    sql.push_str(&format!(
                        " UNION SELECT id FROM reports WHERE id >= {low} AND id < {high}"
                    ));
                }
                sql.push(')');
            } else {
                sql.push_str(" AND (");
                if let Some((low, high)) = &id_range {
                    sql.push_str(&format!("(id >= {low} AND id < {high}) OR "));
                }
                sql.push_str(&format!("EXISTS (SELECT 1 FROM search_tokens s WHERE s.token = {t} AND s.received_at = reports.received_at AND s.report_id = reports.id))"));
            }
        }
        let first = if read_first.is_some() { "+" } else { "" };
        let p = param(&mut args, Value::Int(limit));
        sql.push_str(&match order {
            // The token's key order, which is the reports' (same times, same ids).
            QueueOrder::Newest if drive.is_some() => {
                " ORDER BY d.received_at DESC, d.report_id DESC".to_owned()
            }
            QueueOrder::Oldest if drive.is_some() => {
                " ORDER BY d.received_at, d.report_id".to_owned()
            }
            QueueOrder::NextDeadline => format!(" ORDER BY {first}next_due_at, id"),
            QueueOrder::Newest => format!(" ORDER BY {first}received_at DESC, id DESC"),
            QueueOrder::Oldest => format!(" ORDER BY {first}received_at, id"),
            QueueOrder::Severity => {
                " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, next_due_at, id".to_owned()
            }
        });
        sql.push_str(&format!(" LIMIT {p}"));
        type Columns = (
            String,
            String,
            String,
            Option<String>,
            i64,
            i64,
            Option<String>,
            SealedTitle,
        );
        let rows: Vec<Columns> = on_db!(&self.db, pool => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for value in args {
                query = match value {
                    Value::Text(v) => query.bind(v),
                    Value::Int(v) => query.bind(v),
                    Value::Blob(v) => query.bind(v),
                    Value::NullText => query.bind(None::<String>),
                    Value::NullBlob => query.bind(None::<Vec<u8>>),
                    Value::NullInt => query.bind(None::<i64>),
                };
            }
            query.fetch_all(pool).await?
                .into_iter()
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("project")?, r.try_get("status")?, r.try_get("severity")?, r.try_get("received_at")?, r.try_get("next_due_at")?, r.try_get("assignee")?, sealed_title!(r))))
                .collect::<Result<_, _>>()?
        });
        rows.into_iter()
            .map(
                |(id, project, status, severity, received_at, due, assignee, sealed)| {
                    Ok(QueueRow {
                        title: self.open_title(&id, &sealed)?,
                        id: ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?,
                        project,
                        status: ReportStatus::parse(&status)
                            .ok_or_else(|| StoreError::Corrupt("status".into()))?,
                        severity: severity.as_deref().and_then(parse_severity),
                        received_at: from_millis(received_at)?,
                        next_due_at: (due != NO_DEADLINE).then(|| from_millis(due)).transpose()?,
                        assignee,
                    })
                },
            )
            .collect()
    }
}

/// A searched word as the queue reads it.
struct WordToRead {
    token: i64,
    /// The ids beginning with the word: from it (inclusive) to the next prefix (exclusive).
    id_range: Option<(String, String)>,
    /// In how many reports it is found, counted up to `SEARCH_DRIVE_MAX`.
    found: i64,
    /// How many of those are reports whose id begins with it.
    ids_found: i64,
}

/// The first text after every id beginning with `prefix`, in the order both databases agree on
/// for ids (digits before letters, as bytes and in PostgreSQL's usual collations alike, so no
/// punctuation is used as a bound).
fn after_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_end_matches('z');
    match trimmed.chars().last() {
        None => "z".repeat(REPORT_ID_CHARS + 1),
        Some(last) => {
            let next = match last {
                '7' => 'a',
                c => (c as u8 + 1) as char,
            };
            format!("{}{next}", &trimmed[..trimmed.len() - 1])
        }
    }
}

impl Store {
    /// The words of a search with their tokens, id ranges and counts (each count one short
    /// range read of an index).
    async fn search_words(&self, search: &SearchQuery) -> Result<Vec<WordToRead>, StoreError> {
        let mut words = Vec::with_capacity(search.words().len());
        for word in search.words() {
            let token = self.search_token(&word.term);
            let id_range = (word.id_prefix && word.term.len() <= REPORT_ID_CHARS)
                .then(|| (word.term.clone(), after_prefix(&word.term)));
            let (tokens, ids_found): (i64, i64) = on_db!(&self.db, pool => {
                let tokens: i64 = sqlx::query("SELECT COUNT(*) AS n FROM (SELECT 1 FROM search_tokens WHERE token = $1 LIMIT $2) t")
                    .bind(token).bind(SEARCH_DRIVE_MAX).fetch_one(pool).await?.try_get("n")?;
                let ids: i64 = match &id_range {
                    Some((low, high)) => sqlx::query("SELECT COUNT(*) AS n FROM (SELECT 1 FROM reports WHERE id >= $1 AND id < $2 LIMIT $3) t")
                        .bind(low).bind(high).bind(SEARCH_DRIVE_MAX).fetch_one(pool).await?.try_get("n")?,
                    None => 0,
                };
                (tokens, ids)
            });
            words.push(WordToRead {
                token,
                id_range,
                found: tokens + ids_found,
                ids_found,
            });
        }
        Ok(words)
    }

    /// Assigns a report to a team member (their email), or to nobody, with its audit event,
    /// in one transaction. The caller checked who may be assigned.
    pub async fn assign_report(
        &self,
        id: &ReportId,
        assignee: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let stmts = vec![crate::write::Stmt {
            sql: "UPDATE reports SET assignee = $1 WHERE id = $2",
            args: vec![crate::write::opt_text(assignee), text(id.as_str())],
            expect_one: Some("the report is gone"),
        }];
        let detail = format!("assignee={}", assignee.unwrap_or_default());
        let event = crate::write::event(now, actor, "report.assigned", Some(id.as_str()), detail);
        self.team_write(stmts, vec![event]).await
    }

    /// Whom a report is assigned to (their email), if anyone.
    pub async fn report_assignee(&self, id: &ReportId) -> Result<Option<String>, StoreError> {
        let row: Option<Option<String>> = on_db!(&self.db, pool => {
            sqlx::query("SELECT assignee FROM reports WHERE id = $1")
                .bind(id.as_str()).fetch_optional(pool).await?
                .map(|r| r.try_get("assignee")).transpose()?
        });
        row.ok_or(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::after_prefix;

    #[test]
    fn the_range_of_a_prefix_ends_at_the_next_prefix() {
        assert_eq!(after_prefix("ddb6"), "ddb7");
        assert_eq!(after_prefix("ab7"), "aba");
        assert_eq!(after_prefix("abz"), "ac");
        assert_eq!(after_prefix("azz"), "b");
        assert_eq!(after_prefix("zzz"), "z".repeat(27));
        for id in ["ddb6aaaa", "ddb6", "ddb6zzzz", "ddb67777"] {
            assert!(id >= "ddb6" && id < after_prefix("ddb6").as_str(), "{id}");
        }
        for id in ["ddb7", "ddba", "ddc"] {
            assert!(id >= after_prefix("ddb6").as_str(), "{id}");
        }
    }
}
