//! Search over sealed reports by keyed tokens. A report's terms (`core::search::index_terms`:
//! the words of its fields, title and credit name, and the beginnings of the title's and credit
//! name's words) are stored only as tokens: the first 8 bytes of HMAC-SHA256 under a key
//! derived from the keyring (`SEARCH_KEY_PURPOSE`), read as a signed 64-bit integer, one
//! `search_tokens` row per report and token. A search computes the same tokens from what was
//! typed and reads their rows; a word that could begin an id also reads the reports whose id
//! begins with it (ids are plain).
//!
//! What the table reveals without the keyring: which reports share a term (the same token),
//! how many terms each report has, and how many reports each token has (a common word's token
//! is recognisable by its count); the receipt times beside them are in `reports` already. It
//! names no word: a token cannot be computed or inverted without the key, which never reaches
//! the database. Anyone who can make searches (the team) can confirm a guessed word, as search
//! is meant to.
//!
//! Tokens are written in the report's own transaction (`ReportRow::search_tokens`), rewritten
//! by an erasure from what is left (`erasure_tokens`), and computed once in the background for
//! reports stored before search (`complete_search_index`, a report's row says
//! `search_indexed`).

use hmac::{Hmac, KeyInit, Mac};
use postern_core::report::ReportId;
use postern_core::search::index_terms;
use sha2::Sha256;
use sqlx::Row as _;

use crate::write::{Stmt, TeamWrite, Value, stmt, text};
use crate::{Content, Db, Store, StoreError, WriteOp, on_db};

/// The keyring-derived key's purpose: tokens change only if the keyring's derivation secret
/// does, which rotating master keys leaves alone.
const SEARCH_KEY_PURPOSE: &str = "search tokens v1";

/// A report's tokens from its contents and credit name.
pub(crate) fn report_terms(fields: &[(String, String)], credit_name: Option<&str>) -> Vec<String> {
    if fields.is_empty() && credit_name.is_none() {
        return Vec::new();
    }
    let title = if fields.is_empty() {
        String::new()
    } else {
        postern_core::report::title(fields)
    };
    index_terms(&title, credit_name, fields)
}

impl Store {
    /// The token of one term.
    pub(crate) fn search_token(&self, term: &str) -> i64 {
        let key = zeroize::Zeroizing::new(self.vault.derived_key(SEARCH_KEY_PURPOSE));
        token_under(&*key, term)
    }

    /// The tokens of a report's terms (each term once, so each token once but for a collision).
    pub(crate) fn search_tokens(
        &self,
        fields: &[(String, String)],
        credit_name: Option<&str>,
    ) -> Vec<i64> {
        let key = zeroize::Zeroizing::new(self.vault.derived_key(SEARCH_KEY_PURPOSE));
        let mut tokens: Vec<i64> = report_terms(fields, credit_name)
            .iter()
            .map(|t| token_under(&*key, t))
            .collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens
    }

    /// The statements that replace a report's tokens with those of what is left after an
    /// erasure (its contents without the credit name, or the credit name alone).
    pub(crate) fn erasure_tokens(
        &self,
        id: &ReportId,
        fields: &[(String, String)],
        credit_name: Option<&str>,
    ) -> Vec<Stmt> {
        let mut stmts = vec![stmt(
            "DELETE FROM search_tokens WHERE report_id = $1",
            vec![text(id.as_str())],
        )];
        stmts.extend(self.search_tokens(fields, credit_name).into_iter().map(|t| {
            stmt(
                "INSERT INTO search_tokens (token, received_at, report_id) SELECT $1, received_at, id FROM reports WHERE id = $2 ON CONFLICT DO NOTHING",
                vec![Value::Int(t), text(id.as_str())],
            )
        }));
        stmts
    }

    /// Indexes the reports stored before search was, a batch at a time, each in its own
    /// transaction through the writer; safe to run while serving and to run again. Returns
    /// how many it indexed.
    pub(crate) async fn complete_search_index(&self) -> Result<u64, StoreError> {
        const BATCH: i64 = 200;
        let mut indexed = 0;
        let mut after = String::new();
        loop {
            let ids: Vec<String> = on_db!(&self.db, pool => {
                sqlx::query("SELECT id FROM reports WHERE search_indexed = 0 AND id > $1 ORDER BY id LIMIT $2")
                    .bind(&after).bind(BATCH).fetch_all(pool).await?
                    .into_iter()
                    .map(|r| r.try_get("id"))
                    .collect::<Result<_, sqlx::Error>>()?
            });
            let Some(last) = ids.last() else { break };
            after = last.clone();
            for id in ids {
                let id = ReportId::parse(&id).ok_or_else(|| StoreError::Corrupt("id".into()))?;
                let (data_key, sealed) = self.data_key(&id).await?;
                let content: Content = self.open_content(&id, &data_key, &sealed).await?;
                let mut stmts =
                    self.erasure_tokens(&id, &content.fields, content.credit_name.as_deref());
                stmts.push(stmt(
                    "UPDATE reports SET search_indexed = 1 WHERE id = $1",
                    vec![text(id.as_str())],
                ));
                self.write(WriteOp::Team(TeamWrite {
                    stmts,
                    events: Vec::new(),
                    jobs: Vec::new(),
                }))
                .await?;
                indexed += 1;
            }
        }
        Ok(indexed)
    }
}

fn token_under(key: &[u8], term: &str) -> i64 {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"postern search token v1\0");
    mac.update(term.as_bytes());
    let bytes = mac.finalize().into_bytes();
    i64::from_be_bytes(bytes[..8].try_into().expect("a SHA-256 MAC has 32 bytes"))
}

/// Inserts the search tokens of newly written reports, on either database.
pub(crate) trait SearchConnection {
    /// Each report's tokens, after its row.
    fn insert_search_tokens(
        &mut self,
        reports: &[&crate::ReportRow],
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl SearchConnection for sqlx::SqliteConnection {
    async fn insert_search_tokens(
        &mut self,
        reports: &[&crate::ReportRow],
    ) -> Result<(), sqlx::Error> {
        let rows: Vec<(i64, i64, &str)> = reports
            .iter()
            .flat_map(|r| {
                r.search_tokens
                    .iter()
                    .map(|t| (*t, r.received_at, r.id.as_str()))
            })
            .collect();
        for chunk in rows.chunks(crate::writer::ROWS_PER_STATEMENT) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO search_tokens (token, received_at, report_id) ",
            );
            insert.push_values(chunk, |mut row, (token, received_at, id)| {
                row.push_bind(*token).push_bind(*received_at).push_bind(*id);
            });
            insert.push(" ON CONFLICT DO NOTHING");
            insert.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl SearchConnection for sqlx::PgConnection {
    async fn insert_search_tokens(
        &mut self,
        reports: &[&crate::ReportRow],
    ) -> Result<(), sqlx::Error> {
        // One statement per report, its tokens as an array: small messages (see `apply!`).
        for r in reports.iter().filter(|r| !r.search_tokens.is_empty()) {
            sqlx::query("INSERT INTO search_tokens (token, received_at, report_id) SELECT UNNEST($1::bigint[]), $2, $3 ON CONFLICT DO NOTHING")
                .bind(&r.search_tokens)
                .bind(r.received_at)
                .bind(&r.id)
                .execute(&mut *self)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_depends_on_the_key_and_the_term() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        assert_eq!(token_under(&a, "injection"), token_under(&a, "injection"));
        assert_ne!(token_under(&a, "injection"), token_under(&b, "injection"));
        assert_ne!(token_under(&a, "injection"), token_under(&a, "injectio"));
    }
}
