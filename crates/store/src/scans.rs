//! Findings of dependency and code scanners: a project's products (name and scanned version),
//! their findings, and each import, written in one transaction through the writer.
//!
//! The store does not decide what an import changes: the use case reads the product's
//! findings (`scan_state`), `core::scan::reconcile` plans the change, and `import_scan`
//! commits the plan, refusing it if another import of the product committed in between (the
//! product's `revision`). New findings are inserted many rows per statement on SQLite and as
//! arrays (`UNNEST`) in one statement on PostgreSQL, so that 15,000 findings cost a few
//! statements, not 15,000.

use jiff::Timestamp;
use postern_core::scan::{
    Existing, Finding, FindingKind, FindingSeverity, FindingState, Format, Plan, Support,
};
use sha2::{Digest, Sha256};
use sqlx::Row as _;

use crate::write::{EventParts, event};
use crate::{Db, Store, StoreError, WriteOp, from_millis, millis, on_db, random_id};

/// Rows per multi-row INSERT of findings on SQLite: 22 parameters a row, inside SQLite's
/// 32,766 bound variables.
const SQLITE_FINDING_ROWS: usize = 1000;
/// Ids per `IN (...)` list when closing findings.
const CLOSE_IDS: usize = 1000;
/// Most findings a list returns.
pub const FINDINGS_LISTED_MAX: usize = 2000;
/// Longest reason for accepting a risk or calling a finding a false positive.
pub const REASON_CHARS_MAX: usize = 2000;

/// A product's stored findings, as an import reconciles them.
#[derive(Debug, Clone, Default)]
pub struct ProductState {
    /// The product's id and revision, once it was imported.
    pub product: Option<(String, i64)>,
    /// Its findings, each with its key and state.
    pub existing: Vec<Existing>,
}

/// An import as the use case planned it.
#[derive(Debug)]
pub struct ScanImport {
    /// The project's slug.
    pub project: String,
    /// The product's name.
    pub product: String,
    /// The version or ref scanned.
    pub version: String,
    /// How the policy's supported-versions table stands on the version.
    pub support: Support,
    /// What `scan_state` read (id and revision), `None` for a first import.
    pub known: Option<(String, i64)>,
    /// The report's format.
    pub format: Format,
    /// The report's findings (each key once).
    pub findings: Vec<Finding>,
    /// What reconcile planned.
    pub plan: Plan,
    /// The fix deadline of each finding (by index) if it opens now.
    pub due: Vec<Option<Timestamp>>,
    /// What the parser noticed.
    pub warnings: Vec<String>,
    /// Who imports, as the audit log names them.
    pub actor: String,
    /// When.
    pub at: Timestamp,
}

/// What an import changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportCounts {
    /// The import's id.
    pub import_id: String,
    /// The product's id.
    pub product_id: String,
    /// Findings in the report.
    pub findings: usize,
    /// Opened for the first time.
    pub new: usize,
    /// Still there, left as they were.
    pub unchanged: usize,
    /// Gone: closed as fixed.
    pub closed: usize,
    /// Back after being fixed: open again.
    pub reopened: usize,
}

/// One row to insert.
#[derive(Debug)]
pub(crate) struct FindingRow {
    id: String,
    key: String,
    kind: &'static str,
    target: String,
    package: String,
    ecosystem: String,
    installed_version: String,
    fixed_versions: String,
    vuln_id: String,
    aliases: String,
    title: String,
    severity: &'static str,
    cvss_vector: Option<String>,
    cvss_tenths: Option<i64>,
    location: String,
    url: String,
    due_at: Option<i64>,
}

/// A planned import, ready for the writer's transaction.
#[derive(Debug)]
pub(crate) struct ScanWrite {
    pub(crate) product_id: String,
    /// `None`: insert the product; else the revision it must still have.
    pub(crate) revision: Option<i64>,
    pub(crate) project: String,
    pub(crate) product: String,
    pub(crate) version: String,
    pub(crate) support: &'static str,
    pub(crate) at: i64,
    pub(crate) rows: Vec<FindingRow>,
    pub(crate) closed: Vec<String>,
    /// (id, due, installed version, fixed versions).
    pub(crate) reopened: Vec<(String, Option<i64>, String, String)>,
    pub(crate) import: (String, &'static str, String, [i64; 5], String),
    pub(crate) events: Vec<EventParts>,
}

impl ScanWrite {
    pub(crate) fn events(&self) -> Vec<EventParts> {
        self.events.clone()
    }
}

/// A finding's row id: derived from its product and key, so no randomness per finding.
fn finding_id(product_id: &str, key: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(product_id.as_bytes());
    hash.update([0u8]);
    hash.update(key.as_bytes());
    data_encoding::HEXLOWER.encode(&hash.finalize()[..12])
}

/// Writes a planned import on an open transaction's connection (SQLite or PostgreSQL).
pub(crate) trait ScanConnection {
    /// Inserts new findings.
    fn insert_findings(
        &mut self,
        scan: &ScanWrite,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl ScanConnection for sqlx::SqliteConnection {
    async fn insert_findings(&mut self, scan: &ScanWrite) -> Result<(), sqlx::Error> {
        for chunk in scan.rows.chunks(SQLITE_FINDING_ROWS) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO findings (id, product_id, project, key, kind, target, package, ecosystem, installed_version, fixed_versions, vuln_id, aliases, title, severity, cvss_vector, cvss_tenths, location, url, state, first_seen_at, changed_at, due_at) ",
            );
            insert.push_values(chunk, |mut row, f| {
                row.push_bind(&f.id)
                    .push_bind(&scan.product_id)
                    .push_bind(&scan.project)
                    .push_bind(&f.key)
                    .push_bind(f.kind)
                    .push_bind(&f.target)
                    .push_bind(&f.package)
                    .push_bind(&f.ecosystem)
                    .push_bind(&f.installed_version)
                    .push_bind(&f.fixed_versions)
                    .push_bind(&f.vuln_id)
                    .push_bind(&f.aliases)
                    .push_bind(&f.title)
                    .push_bind(f.severity)
                    .push_bind(&f.cvss_vector)
                    .push_bind(f.cvss_tenths)
                    .push_bind(&f.location)
                    .push_bind(&f.url)
                    .push_bind("open")
                    .push_bind(scan.at)
                    .push_bind(scan.at)
                    .push_bind(f.due_at);
            });
            insert.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl ScanConnection for sqlx::PgConnection {
    async fn insert_findings(&mut self, scan: &ScanWrite) -> Result<(), sqlx::Error> {
        if scan.rows.is_empty() {
            return Ok(());
        }
        // One statement with a column of values each: one round trip for any number of rows.
        fn column<T: Clone>(rows: &[FindingRow], get: impl Fn(&FindingRow) -> T) -> Vec<T> {
            rows.iter().map(get).collect()
        }
        let r = &scan.rows;
        sqlx::query(
            "INSERT INTO findings (id, key, kind, target, package, ecosystem, installed_version, fixed_versions, vuln_id, aliases, title, severity, cvss_vector, cvss_tenths, location, url, due_at, product_id, project, state, first_seen_at, changed_at) \
             SELECT u.*, $18, $19, 'open', $20::bigint, $20::bigint FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::text[], $16::text[], $17::bigint[]) AS u",
        )
        .bind(column(r, |f| f.id.clone()))
        .bind(column(r, |f| f.key.clone()))
        .bind(column(r, |f| f.kind.to_owned()))
        .bind(column(r, |f| f.target.clone()))
        .bind(column(r, |f| f.package.clone()))
        .bind(column(r, |f| f.ecosystem.clone()))
        .bind(column(r, |f| f.installed_version.clone()))
        .bind(column(r, |f| f.fixed_versions.clone()))
        .bind(column(r, |f| f.vuln_id.clone()))
        .bind(column(r, |f| f.aliases.clone()))
        .bind(column(r, |f| f.title.clone()))
        .bind(column(r, |f| f.severity.to_owned()))
        .bind(column(r, |f| f.cvss_vector.clone()))
        .bind(column(r, |f| f.cvss_tenths))
        .bind(column(r, |f| f.location.clone()))
        .bind(column(r, |f| f.url.clone()))
        .bind(column(r, |f| f.due_at))
        .bind(&scan.product_id)
        .bind(&scan.project)
        .bind(scan.at)
        .execute(&mut *self)
        .await?;
        Ok(())
    }
}

/// Commits a planned import inside the writer's open transaction (`$conn` is `&mut *tx`).
macro_rules! write_scan {
    ($conn:expr, $scan:expr) => {{
        let scan: &$crate::scans::ScanWrite = $scan;
        $crate::scans::write_product!($conn, scan);
        $crate::scans::ScanConnection::insert_findings(&mut *$conn, scan).await?;
        for chunk in scan.closed.chunks($crate::scans::CLOSE_IDS_PER_STATEMENT) {
            // The deadline stays: public statistics count a fix made by it as kept.
            let mut update = sqlx::QueryBuilder::new("UPDATE findings SET state = 'fixed', changed_at = ");
            update.push_bind(scan.at);
            update.push(" WHERE id IN (");
            let mut ids = update.separated(", ");
            for id in chunk {
                ids.push_bind(id);
            }
            update.push(")");
            update.build().execute(&mut *$conn).await?;
        }
        for (id, due, installed, fixed) in &scan.reopened {
            sqlx::query("UPDATE findings SET state = 'open', changed_at = $1, due_at = $2, installed_version = $3, fixed_versions = $4, reason = NULL, decided_until = NULL, decided_by = NULL WHERE id = $5")
                .bind(scan.at).bind(*due).bind(installed).bind(fixed).bind(id)
                .execute(&mut *$conn).await?;
        }
        let (import_id, format, actor, counts, warnings) = &scan.import;
        sqlx::query("INSERT INTO scan_imports (id, product_id, format, at, actor, findings, opened, unchanged, closed, reopened, warnings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(import_id).bind(&scan.product_id).bind(*format).bind(scan.at).bind(actor)
            .bind(counts[0]).bind(counts[1]).bind(counts[2]).bind(counts[3]).bind(counts[4])
            .bind(warnings)
            .execute(&mut *$conn).await?;
    }};
}
pub(crate) use write_scan;

/// Inserts the product on its first import, else moves its revision on, refusing an import
/// planned against a revision another import has moved already.
macro_rules! write_product {
    ($conn:expr, $scan:expr) => {{
        let scan: &$crate::scans::ScanWrite = $scan;
        match scan.revision {
            None => {
                sqlx::query("INSERT INTO scan_products (id, project, name, version, support, revision, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6)")
                    .bind(&scan.product_id).bind(&scan.project).bind(&scan.product)
                    .bind(&scan.version).bind(scan.support).bind(scan.at)
                    .execute(&mut *$conn).await?;
            }
            Some(revision) => {
                let changed = sqlx::query("UPDATE scan_products SET revision = revision + 1, support = $1 WHERE id = $2 AND revision = $3")
                    .bind(scan.support).bind(&scan.product_id).bind(revision)
                    .execute(&mut *$conn).await?.rows_affected();
                if changed != 1 {
                    return Err($crate::StoreError::Conflict(
                        "another import of this product and version committed first; import the report again".into(),
                    ));
                }
            }
        }
    }};
}
pub(crate) use write_product;

pub(crate) const CLOSE_IDS_PER_STATEMENT: usize = CLOSE_IDS;

/// A stored finding with its product.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFinding {
    /// Row id.
    pub id: String,
    /// The project's slug.
    pub project: String,
    /// The product's name.
    pub product: String,
    /// The version or ref scanned.
    pub version: String,
    /// How the policy's supported-versions table stands on the version (at the last import).
    pub support: String,
    /// What the scanner reported.
    pub finding: Finding,
    /// State.
    pub state: FindingState,
    /// First seen.
    pub first_seen_at: Timestamp,
    /// Last change of state.
    pub changed_at: Timestamp,
    /// The fix deadline, while open.
    pub due_at: Option<Timestamp>,
    /// The team's reason (accepted risk, false positive).
    pub reason: Option<String>,
    /// Until when an accepted risk holds.
    pub decided_until: Option<Timestamp>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// The advisory drafted from it, if one was.
    pub advisory_id: Option<String>,
}

/// Which findings a list shows.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// One project, or every project in `projects`.
    pub project: Option<String>,
    /// The projects the reader may see; empty for all.
    pub projects: Vec<String>,
    /// One severity.
    pub severity: Option<FindingSeverity>,
    /// One state.
    pub state: Option<FindingState>,
    /// Packages whose name contains this.
    pub package: Option<String>,
    /// Only open findings whose deadline passed before this moment.
    pub overdue_at: Option<Timestamp>,
    /// Most rows (at most `FINDINGS_LISTED_MAX`).
    pub limit: usize,
}

const FINDING_COLUMNS: &str = "f.id, f.project, p.name AS product, p.version, p.support, f.kind, f.target, f.package, f.ecosystem, f.installed_version, f.fixed_versions, f.vuln_id, f.aliases, f.title, f.severity, f.cvss_vector, f.cvss_tenths, f.location, f.url, f.state, f.first_seen_at, f.changed_at, f.due_at, f.reason, f.decided_until, f.decided_by, f.advisory_id";

fn finding_from_row<R: sqlx::Row>(r: &R) -> Result<StoredFinding, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("finding {what}"));
    let kind: String = r.try_get("kind")?;
    let severity: String = r.try_get("severity")?;
    let state: String = r.try_get("state")?;
    let aliases: String = r.try_get("aliases")?;
    let vector: Option<String> = r.try_get("cvss_vector")?;
    let tenths: Option<i64> = r.try_get("cvss_tenths")?;
    let due: Option<i64> = r.try_get("due_at")?;
    let until: Option<i64> = r.try_get("decided_until")?;
    Ok(StoredFinding {
        id: r.try_get("id")?,
        project: r.try_get("project")?,
        product: r.try_get("product")?,
        version: r.try_get("version")?,
        support: r.try_get("support")?,
        finding: Finding {
            kind: FindingKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
            target: r.try_get("target")?,
            package: r.try_get("package")?,
            ecosystem: r.try_get("ecosystem")?,
            installed_version: r.try_get("installed_version")?,
            fixed_versions: r.try_get("fixed_versions")?,
            vuln_id: r.try_get("vuln_id")?,
            aliases: aliases
                .split(',')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            title: r.try_get("title")?,
            severity: FindingSeverity::parse(&severity).ok_or_else(|| corrupt("severity"))?,
            cvss: vector.zip(tenths.map(|t| t as f64 / 10.0)),
            location: r.try_get("location")?,
            url: r.try_get("url")?,
        },
        state: FindingState::parse(&state).ok_or_else(|| corrupt("state"))?,
        first_seen_at: from_millis(r.try_get("first_seen_at")?)?,
        changed_at: from_millis(r.try_get("changed_at")?)?,
        due_at: due.map(from_millis).transpose()?,
        reason: r.try_get("reason")?,
        decided_until: until.map(from_millis).transpose()?,
        decided_by: r.try_get("decided_by")?,
        advisory_id: r.try_get("advisory_id")?,
    })
}

impl Store {
    /// A product's findings with their keys and states, for an import to reconcile against.
    pub async fn scan_state(
        &self,
        project: &str,
        product: &str,
        version: &str,
    ) -> Result<ProductState, StoreError> {
        let known: Option<(String, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, revision FROM scan_products WHERE project = $1 AND name = $2 AND version = $3")
                .bind(project).bind(product).bind(version)
                .fetch_optional(pool).await?
                .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("revision")?)))
                .transpose()?
        });
        let Some((id, revision)) = known else {
            return Ok(ProductState::default());
        };
        let rows: Vec<(String, String, String)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, key, state FROM findings WHERE product_id = $1")
                .bind(&id)
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("key")?, r.try_get("state")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        let existing = rows
            .into_iter()
            .map(|(id, key, state)| {
                Ok(Existing {
                    id,
                    key,
                    state: FindingState::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt("finding state".into()))?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(ProductState {
            product: Some((id, revision)),
            existing,
        })
    }

    /// Commits a planned import in one transaction: the product, new findings, closed and
    /// reopened ones, the import's row and its audit events. `Conflict` if another import
    /// of the product committed since `scan_state` was read.
    pub async fn import_scan(&self, import: ScanImport) -> Result<ImportCounts, StoreError> {
        let ScanImport {
            project,
            product,
            version,
            support,
            known,
            format,
            findings,
            plan,
            due,
            warnings,
            actor,
            at,
        } = import;
        let (product_id, revision) = match known {
            Some((id, revision)) => (id, Some(revision)),
            None => (random_id()?, None),
        };
        let import_id = random_id()?;
        let at_ms = millis(at);
        let findings_count = findings.len();
        let Plan {
            new,
            unchanged,
            closed,
            reopened: reopened_plan,
            keys,
        } = plan;
        // The findings and their keys are moved into the rows, not copied: 15,000 findings
        // are held once while they are written.
        let mut findings: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
        let mut keys: Vec<Option<String>> = keys.into_iter().map(Some).collect();
        let due_of = |index: usize| due.get(index).copied().flatten().map(millis);
        let rows: Vec<FindingRow> = new
            .iter()
            .filter_map(|&index| {
                let f = findings.get_mut(index)?.take()?;
                let key = keys.get_mut(index)?.take()?;
                Some(FindingRow {
                    id: finding_id(&product_id, &key),
                    key,
                    kind: f.kind.name(),
                    target: f.target,
                    package: f.package,
                    ecosystem: f.ecosystem,
                    installed_version: f.installed_version,
                    fixed_versions: f.fixed_versions,
                    vuln_id: f.vuln_id,
                    aliases: f.aliases.join(","),
                    title: f.title,
                    severity: f.severity.name(),
                    cvss_tenths: f.cvss.as_ref().map(|(_, s)| (s * 10.0).round() as i64),
                    cvss_vector: f.cvss.map(|(v, _)| v),
                    location: f.location,
                    url: f.url,
                    due_at: due_of(index),
                })
            })
            .collect();
        let reopened: Vec<(String, Option<i64>, String, String)> = reopened_plan
            .iter()
            .filter_map(|(id, index)| {
                let f = findings.get_mut(*index)?.take()?;
                Some((
                    id.clone(),
                    due_of(*index),
                    f.installed_version,
                    f.fixed_versions,
                ))
            })
            .collect();
        drop(findings);
        drop(keys);
        let counts = ImportCounts {
            import_id: import_id.clone(),
            product_id: product_id.clone(),
            findings: findings_count,
            new: new.len(),
            unchanged,
            closed: closed.len(),
            reopened: reopened_plan.len(),
        };
        let subject = format!("project={project} product={product} version={version}");
        let mut events = vec![event(
            at,
            &actor,
            "scan.imported",
            None,
            format!(
                "{subject} import={import_id} format={} findings={} new={} unchanged={} closed={} reopened={} warnings={}",
                format.name(),
                counts.findings,
                counts.new,
                counts.unchanged,
                counts.closed,
                counts.reopened,
                warnings.len()
            ),
        )];
        // Closing and reopening are changes of state each finding's history shows; a first
        // import's new findings are told by the one event above (with the import's id).
        for id in &closed {
            events.push(event(
                at,
                &actor,
                "finding.closed",
                None,
                format!("{subject} finding={id} import={import_id} state=fixed"),
            ));
        }
        for (id, _) in &reopened_plan {
            events.push(event(
                at,
                &actor,
                "finding.reopened",
                None,
                format!("{subject} finding={id} import={import_id}"),
            ));
        }
        let write = ScanWrite {
            product_id,
            revision,
            support: support.name(),
            at: at_ms,
            rows,
            closed,
            reopened,
            import: (
                import_id,
                format.name(),
                actor.clone(),
                [
                    counts.findings as i64,
                    counts.new as i64,
                    counts.unchanged as i64,
                    counts.closed as i64,
                    counts.reopened as i64,
                ],
                warnings.join("\n"),
            ),
            events,
            project,
            product,
            version,
        };
        self.write(WriteOp::Scan(Box::new(write))).await?;
        Ok(counts)
    }

    /// Findings by the filter, most urgent first: open ones by deadline, then by severity.
    pub async fn findings(&self, filter: &FindingFilter) -> Result<Vec<StoredFinding>, StoreError> {
        let limit = filter.limit.clamp(1, FINDINGS_LISTED_MAX) as i64;
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FINDING_COLUMNS} FROM findings f JOIN scan_products p ON p.id = f.product_id \
             WHERE ($1 = '' OR f.project = $1) AND ($2 = '' OR f.severity = $2) AND ($3 = '' OR f.state = $3) \
             AND ($4 = '' OR f.package LIKE $4) AND ($5 = 0 OR (f.state = 'open' AND f.due_at IS NOT NULL AND f.due_at < $5)) \
             AND ($6 = '' OR (',' || $6 || ',') LIKE ('%,' || f.project || ',%')) \
             ORDER BY CASE f.state WHEN 'open' THEN 0 ELSE 1 END, CASE WHEN f.due_at IS NULL THEN 1 ELSE 0 END, f.due_at, \
             CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, f.vuln_id, f.id LIMIT $7"
        ));
        let package = filter
            .package
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| format!("%{}%", p.replace(['%', '_'], "")))
            .unwrap_or_default();
        on_db!(&self.db, pool => {
            sqlx::query(sql)
                .bind(filter.project.clone().unwrap_or_default())
                .bind(filter.severity.map_or("", |s| s.name()))
                .bind(filter.state.map_or("", |s| s.name()))
                .bind(&package)
                .bind(filter.overdue_at.map_or(0, millis))
                .bind(filter.projects.join(","))
                .bind(limit)
                .fetch_all(pool).await?
                .iter().map(finding_from_row).collect()
        })
    }

    /// One finding.
    pub async fn finding(&self, id: &str) -> Result<Option<StoredFinding>, StoreError> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FINDING_COLUMNS} FROM findings f JOIN scan_products p ON p.id = f.product_id WHERE f.id = $1"
        ));
        on_db!(&self.db, pool => {
            sqlx::query(sql).bind(id).fetch_optional(pool).await?
                .as_ref().map(finding_from_row).transpose()
        })
    }

    /// Records the team's decision on an open finding: the risk accepted until a moment, or
    /// a false positive, with the reason (`finding.risk_accepted` / `finding.false_positive`
    /// audited). Its fix deadline stops. `Conflict` unless it was still open.
    pub async fn decide_finding(
        &self,
        id: &str,
        state: FindingState,
        reason: &str,
        until: Option<Timestamp>,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if reason.chars().count() > REASON_CHARS_MAX {
            return Err(StoreError::Limit(format!(
                "a reason may be at most {REASON_CHARS_MAX} characters long"
            )));
        }
        let action = match state {
            FindingState::AcceptedRisk => "finding.risk_accepted",
            FindingState::FalsePositive => "finding.false_positive",
            FindingState::Open | FindingState::Fixed => {
                return Err(StoreError::Conflict(
                    "a finding is opened and fixed by imports".into(),
                ));
            }
        };
        let finding = self.finding(id).await?.ok_or(StoreError::NotFound)?;
        let mut args = vec![
            crate::write::text(state.name()),
            crate::write::text(reason),
            crate::write::text(actor),
            crate::write::Value::Int(millis(now)),
            crate::write::text(id),
        ];
        let sql = match until {
            Some(until) => {
                args.push(crate::write::Value::Int(millis(until)));
                "UPDATE findings SET state = $1, reason = $2, decided_by = $3, changed_at = $4, due_at = NULL, decided_until = $6 WHERE id = $5 AND state = 'open'"
            }
            None => {
                "UPDATE findings SET state = $1, reason = $2, decided_by = $3, changed_at = $4, due_at = NULL, decided_until = NULL WHERE id = $5 AND state = 'open'"
            }
        };
        let mut decide = crate::write::stmt(sql, args);
        decide.expect_one = Some("this finding is no longer open; reload the page");
        let until_text = until.map_or_else(|| "-".to_owned(), |t| t.to_string());
        self.team_write(
            vec![decide],
            vec![event(
                now,
                actor,
                action,
                None,
                format!(
                    "project={} product={} version={} finding={id} until={until_text}",
                    finding.project, finding.product, finding.version
                ),
            )],
        )
        .await
    }
}

/// An open finding on its fix clock, as the periodic look reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockedFinding {
    /// Row id.
    pub id: String,
    /// Its severity.
    pub severity: FindingSeverity,
    /// When its clock started: when it was opened, or opened again.
    pub opened_at: Timestamp,
    /// Its fix deadline.
    pub due_at: Timestamp,
}

/// An accepted risk whose expiry has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredRisk {
    /// Row id.
    pub id: String,
    /// The product's name.
    pub product: String,
    /// The version or ref scanned.
    pub version: String,
    /// Its severity.
    pub severity: FindingSeverity,
    /// Until when the risk was accepted.
    pub until: Timestamp,
}

/// What one look at a project's finding clocks commits: how far it handled reminders, the
/// accepted risks it opens again (each with its new deadline), and the notices it enqueues.
#[derive(Debug)]
pub struct FindingLook {
    /// The project's slug.
    pub project: String,
    /// `finding_clock` as read (`None`: never looked at); the look commits only if it still is.
    pub read: Option<Timestamp>,
    /// The look's moment: reminders are handled up to it.
    pub now: Timestamp,
    /// Accepted risks that expired, with the fix deadline each opens with.
    pub reopened: Vec<(ExpiredRisk, Option<Timestamp>)>,
    /// Who acts, as the audit log names them.
    pub actor: String,
    /// The notices (mail jobs) it enqueues.
    pub jobs: Vec<crate::jobs::NewJob>,
}

impl Store {
    /// How far a project's finding reminders were handled; `None` before the first look.
    pub async fn finding_clock(&self, project: &str) -> Result<Option<Timestamp>, StoreError> {
        let at: Option<i64> = on_db!(&self.db, pool => {
            sqlx::query("SELECT handled_until FROM finding_clocks WHERE project = $1")
                .bind(project)
                .fetch_optional(pool).await?
                .map(|r| r.try_get("handled_until"))
                .transpose()?
        });
        at.map(from_millis).transpose()
    }

    /// A project's open findings whose deadline is after `after` and at or before `due_by`:
    /// those that may have a reminder due between the two looks.
    pub async fn findings_on_clock(
        &self,
        project: &str,
        after: Timestamp,
        due_by: Timestamp,
    ) -> Result<Vec<ClockedFinding>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT id, severity, changed_at, due_at FROM findings WHERE project = $1 AND state = 'open' AND due_at > $2 AND due_at <= $3")
                .bind(project).bind(millis(after)).bind(millis(due_by))
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("severity")?, r.try_get("changed_at")?, r.try_get("due_at")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(id, severity, opened, due)| {
                Ok(ClockedFinding {
                    id,
                    severity: FindingSeverity::parse(&severity)
                        .ok_or_else(|| StoreError::Corrupt("finding severity".into()))?,
                    opened_at: from_millis(opened)?,
                    due_at: from_millis(due)?,
                })
            })
            .collect()
    }

    /// A project's accepted risks whose expiry is at or before `now`.
    pub async fn expired_risks(
        &self,
        project: &str,
        now: Timestamp,
    ) -> Result<Vec<ExpiredRisk>, StoreError> {
        let rows: Vec<(String, String, String, String, i64)> = on_db!(&self.db, pool => {
            sqlx::query("SELECT f.id, p.name, p.version, f.severity, f.decided_until FROM findings f JOIN scan_products p ON p.id = f.product_id WHERE f.project = $1 AND f.state = 'accepted-risk' AND f.decided_until <= $2 ORDER BY f.decided_until, f.id")
                .bind(project).bind(millis(now))
                .fetch_all(pool).await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("version")?, r.try_get("severity")?, r.try_get("decided_until")?)))
                .collect::<Result<_, sqlx::Error>>()?
        });
        rows.into_iter()
            .map(|(id, product, version, severity, until)| {
                Ok(ExpiredRisk {
                    id,
                    product,
                    version,
                    severity: FindingSeverity::parse(&severity)
                        .ok_or_else(|| StoreError::Corrupt("finding severity".into()))?,
                    until: from_millis(until)?,
                })
            })
            .collect()
    }

    /// Commits one look at a project's finding clocks in one transaction: `handled_until`
    /// moved to the look's moment (only if it is still what the look read: `Conflict` when
    /// another instance looked meanwhile, and then nothing is written), each expired risk
    /// opened again with its deadline and a `finding.risk_expired` event, and the notices.
    pub async fn commit_finding_look(&self, look: FindingLook) -> Result<(), StoreError> {
        use crate::write::{Value, opt_int, stmt, text};
        let now = millis(look.now);
        let cursor = match look.read {
            None => crate::write::Stmt {
                sql: "INSERT INTO finding_clocks (project, handled_until) VALUES ($1, $2) ON CONFLICT (project) DO NOTHING",
                args: vec![text(&look.project), Value::Int(now)],
                expect_one: Some("another look at the findings' clocks came first"),
            },
            Some(read) => crate::write::Stmt {
                sql: "UPDATE finding_clocks SET handled_until = $1 WHERE project = $2 AND handled_until = $3",
                args: vec![
                    Value::Int(now),
                    text(&look.project),
                    Value::Int(millis(read)),
                ],
                expect_one: Some("another look at the findings' clocks came first"),
            },
        };
        let mut stmts = vec![cursor];
        let mut events = Vec::new();
        for (risk, due) in &look.reopened {
            let mut reopen = stmt(
                "UPDATE findings SET state = 'open', changed_at = $1, due_at = $2, reason = NULL, decided_until = NULL, decided_by = NULL WHERE id = $3 AND state = 'accepted-risk' AND decided_until = $4",
                vec![
                    Value::Int(millis(risk.until)),
                    opt_int(due.map(millis)),
                    text(&risk.id),
                    Value::Int(millis(risk.until)),
                ],
            );
            reopen.expect_one = Some("a finding was decided again meanwhile");
            stmts.push(reopen);
            let due_text = due.map_or_else(|| "-".to_owned(), |t| t.to_string());
            events.push(event(
                look.now,
                &look.actor,
                "finding.risk_expired",
                None,
                format!(
                    "project={} product={} version={} finding={} until={} due={due_text}",
                    look.project, risk.product, risk.version, risk.id, risk.until
                ),
            ));
        }
        self.write(WriteOp::Team(crate::team::TeamWrite {
            stmts,
            events,
            jobs: look.jobs,
        }))
        .await
    }
}
