//! Reports' titles for lists. A title (`core::report::title`) is sealed in its own small column
//! under the report's data key, so that a list opens each listed report's title and nothing
//! else of it: no description, proof of concept, contact or message. Opening a title is not
//! audited as a view of the report (a queue page would otherwise write a hundred events each
//! time it is shown, and "viewed" would stop meaning anything); every read of the contents is.
//!
//! A report stored before titles were has none yet: its title is read from its contents, once,
//! and `complete_titles` seals it into the column in the background.

use std::collections::HashMap;

use postern_core::report::ReportId;
use sqlx::Row as _;
use zeroize::Zeroizing;

use crate::{Content, Db, Store, StoreError, aad, on_db, vault};

/// Most reports whose titles one call opens (a list page is at most 200).
pub const TITLES_PER_CALL_MAX: usize = 500;
/// Ids per query.
const IDS_PER_QUERY: usize = 100;

/// The sealed parts a title is opened from, as a list reads them from a report's row.
pub(crate) struct SealedTitle {
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    /// The sealed title; `None` for a report stored before titles.
    pub title: Option<Vec<u8>>,
    /// The sealed contents, read only when there is no title yet.
    pub content: Option<Vec<u8>>,
}

/// The columns a list selects to open titles: the sealed title, and the contents only where
/// there is no title yet.
pub(crate) const TITLE_COLUMNS: &str =
    "key_id, wrapped_key, title, CASE WHEN title IS NULL THEN content END AS old_content";

/// Reads the `TITLE_COLUMNS` of a row (SQLite's or PostgreSQL's) into a `SealedTitle`.
macro_rules! sealed_title {
    ($row:expr) => {
        $crate::team::titles::SealedTitle {
            key_id: $row.try_get("key_id")?,
            wrapped_key: $row.try_get("wrapped_key")?,
            title: $row.try_get("title")?,
            content: $row.try_get("old_content")?,
        }
    };
}
pub(crate) use sealed_title;

impl Store {
    /// Opens one report's title from its sealed parts.
    pub(crate) fn open_title(&self, id: &str, sealed: &SealedTitle) -> Result<String, StoreError> {
        let data_key = self.vault.unwrap(id, &sealed.key_id, &sealed.wrapped_key)?;
        title_under(id, &data_key, sealed)
    }

    /// The titles of these reports, by id; ids of no report are left out. At most
    /// `TITLES_PER_CALL_MAX` ids. Not audited (see the module's documentation).
    pub async fn report_titles(
        &self,
        ids: &[ReportId],
    ) -> Result<HashMap<ReportId, String>, StoreError> {
        if ids.len() > TITLES_PER_CALL_MAX {
            return Err(StoreError::Limit(format!(
                "at most {TITLES_PER_CALL_MAX} titles at a time"
            )));
        }
        let mut titles = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, {TITLE_COLUMNS} FROM reports WHERE id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<(String, SealedTitle)> = on_db!(&self.db, pool => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    query = query.bind(id.as_str());
                }
                query.fetch_all(pool).await?
                    .iter()
                    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, sealed_title!(r))))
                    .collect::<Result<_, _>>()?
            });
            for (id, sealed) in rows {
                let title = self.open_title(&id, &sealed)?;
                if let Some(id) = ReportId::parse(&id) {
                    titles.insert(id, title);
                }
            }
        }
        Ok(titles)
    }

    /// Seals the title of reports stored before titles were, a batch at a time; safe to run
    /// while serving and to run again. Returns how many it titled.
    pub(crate) async fn complete_titles(&self) -> Result<u64, StoreError> {
        const BATCH: i64 = 200;
        let mut titled = 0;
        let mut after = String::new();
        loop {
            let rows: Vec<(String, String, Vec<u8>, Vec<u8>)> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id, key_id, wrapped_key, content FROM reports WHERE title IS NULL AND id > $1 ORDER BY id LIMIT $2")
                    .bind(&after).bind(BATCH).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("key_id")?, r.try_get("wrapped_key")?, r.try_get("content")?)))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            let Some(last) = rows.last() else { break };
            after = last.0.clone();
            for (id, key_id, wrapped, content) in rows {
                let data_key = self.vault.unwrap(&id, &key_id, &wrapped)?;
                let fields = contents_fields(&id, &data_key, &content)?;
                let sealed = crate::seal_title(&id, &data_key, &fields)?;
                titled += on_db!(&self.db, pool => {
                    sqlx::query("UPDATE reports SET title = $1 WHERE id = $2 AND title IS NULL")
                        .bind(sealed).bind(&id).execute(pool).await?.rows_affected()
                });
            }
        }
        Ok(titled)
    }
}

fn title_under(id: &str, data_key: &[u8], sealed: &SealedTitle) -> Result<String, StoreError> {
    if let Some(title) = &sealed.title {
        let plain = vault::open(data_key, &aad(id, &["title"]), title)?;
        return String::from_utf8(plain.to_vec()).map_err(|e| StoreError::Corrupt(e.to_string()));
    }
    let content = sealed
        .content
        .as_deref()
        .ok_or_else(|| StoreError::Corrupt("a report without title or contents".into()))?;
    Ok(postern_core::report::title(&contents_fields(
        id, data_key, content,
    )?))
}

fn contents_fields(
    id: &str,
    data_key: &[u8],
    content: &[u8],
) -> Result<Vec<(String, String)>, StoreError> {
    let plain: Zeroizing<Vec<u8>> = vault::open(data_key, &aad(id, &["content"]), content)?;
    let content: Content =
        serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(content.fields)
}
