//! Searching reports whose contents are sealed: which words a report is found by, and what a
//! search asks for. Both sides read text the same way (`words`), so a report is found by
//! exactly the words indexed for it. The store turns each term into a keyed token (an HMAC
//! under a key derived from the keyring) and keeps only those tokens, never the words.
//!
//! A report is found by every word (`WORD_CHARS_MIN` or more letters or digits, lower-cased)
//! of its fields, title and credit name, and also by the beginnings of the words of its title
//! and credit name, so that typing "inject" finds "SQL injection in the upload". A search's
//! word that could begin a report id (`report::could_start_id`, at least `ID_PREFIX_CHARS_MIN`
//! characters) also finds the reports whose id begins with it.

use crate::report::could_start_id;

/// Shortest word indexed or searched for: shorter ones ("a", "of", "v1") say little and
/// would be in nearly every report.
pub const WORD_CHARS_MIN: usize = 3;
/// Longest word kept: longer runs (hashes, base64) are cut to this many characters, on both
/// sides, so that they still match.
pub const WORD_CHARS_MAX: usize = 40;
/// Most terms indexed for one report: a bound on the rows one report writes. The title's and
/// credit name's terms come first, then the words of the fields in the order they appear.
pub const TERMS_PER_REPORT_MAX: usize = 2_000;
/// Most words one search takes.
pub const QUERY_WORDS_MAX: usize = 8;
/// Longest search text, in characters.
pub const QUERY_CHARS_MAX: usize = 200;
/// Shortest beginning of an id searched for as an id (the lists show eight characters).
pub const ID_PREFIX_CHARS_MIN: usize = 4;

/// The words of a text as search reads them: split at every character that is not a letter
/// or digit, lower-cased, at least `WORD_CHARS_MIN` characters, cut to `WORD_CHARS_MAX`.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= WORD_CHARS_MIN)
        .map(|w| {
            w.chars()
                .take(WORD_CHARS_MAX)
                .flat_map(char::to_lowercase)
                .collect()
        })
}

/// The terms a report is found by: the beginnings (from `WORD_CHARS_MIN` characters) of the
/// words of its title and credit name, then every word of its fields; each once, at most
/// `TERMS_PER_REPORT_MAX`.
pub fn index_terms(
    title: &str,
    credit_name: Option<&str>,
    fields: &[(String, String)],
) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut terms = Vec::new();
    let mut add = |term: String, terms: &mut Vec<String>| {
        if terms.len() < TERMS_PER_REPORT_MAX && seen.insert(term.clone()) {
            terms.push(term);
        }
    };
    for word in words(title).chain(credit_name.into_iter().flat_map(words)) {
        let chars: Vec<char> = word.chars().collect();
        for end in WORD_CHARS_MIN..=chars.len() {
            add(chars[..end].iter().collect(), &mut terms);
        }
    }
    for (_, value) in fields {
        for word in words(value) {
            add(word, &mut terms);
        }
    }
    terms
}

/// One word of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchWord {
    /// The word as indexed (`words`).
    pub term: String,
    /// Whether it could also be the beginning of a report id.
    pub id_prefix: bool,
}

/// A search: reports found by every one of its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<SearchWord>,
    text: String,
}

impl SearchQuery {
    /// Reads what someone typed; the error says what to type instead.
    pub fn parse(text: &str) -> Result<SearchQuery, String> {
        let trimmed = text.trim();
        if trimmed.chars().count() > QUERY_CHARS_MAX {
            return Err(format!(
                "the search is {} characters long; search for at most {QUERY_CHARS_MAX}",
                trimmed.chars().count()
            ));
        }
        let mut found: Vec<SearchWord> = Vec::new();
        for term in words(trimmed) {
            if found.iter().any(|w| w.term == term) {
                continue;
            }
            found.push(SearchWord {
                id_prefix: term.len() >= ID_PREFIX_CHARS_MIN && could_start_id(&term),
                term,
            });
        }
        if found.is_empty() {
            return Err(format!(
                "{trimmed:?} has no word to search for: type words of {WORD_CHARS_MIN} or more letters or digits, or the first {ID_PREFIX_CHARS_MIN} characters of a report's id"
            ));
        }
        if found.len() > QUERY_WORDS_MAX {
            return Err(format!(
                "the search has {} words; search for at most {QUERY_WORDS_MAX}",
                found.len()
            ));
        }
        Ok(SearchQuery {
            words: found,
            text: trimmed.to_owned(),
        })
    }

    /// Its words, each once, in the order typed.
    pub fn words(&self) -> &[SearchWord] {
        &self.words
    }

    /// The text as typed (trimmed), to show it again.
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn words_are_lower_cased_split_at_punctuation_and_short_ones_dropped() {
        let got: Vec<String> =
            words("SQL-Injection in /api/v1/Upload_handler, CVE-2024-12345 Ünïcode").collect();
        assert_eq!(
            got,
            [
                "sql",
                "injection",
                "api",
                "upload",
                "handler",
                "cve",
                "2024",
                "12345",
                "ünïcode"
            ]
        );
    }

    #[test]
    fn long_runs_are_cut_the_same_on_both_sides() {
        let long = "a".repeat(100);
        let indexed = index_terms("", None, &fields(&[("d", &long)]));
        assert_eq!(indexed, ["a".repeat(WORD_CHARS_MAX)]);
        let query = SearchQuery::parse(&long).unwrap();
        assert_eq!(query.words()[0].term, "a".repeat(WORD_CHARS_MAX));
    }

    #[test]
    fn title_and_credit_words_are_found_by_their_beginnings_fields_by_whole_words() {
        let terms = index_terms(
            "Stored XSS",
            Some("Ada Lovelace"),
            &fields(&[
                ("title", "Stored XSS"),
                ("description", "the renderer escapes nothing"),
            ]),
        );
        for expected in [
            "sto", "stor", "store", "stored", "xss", "ada", "lov", "lovelace", "renderer",
            "escapes", "nothing", "the",
        ] {
            assert!(
                terms.contains(&expected.to_owned()),
                "{expected} missing from {terms:?}"
            );
        }
        assert!(
            !terms.contains(&"ren".to_owned()),
            "fields are indexed by whole words"
        );
        let unique: std::collections::HashSet<_> = terms.iter().collect();
        assert_eq!(unique.len(), terms.len(), "each term once");
    }

    #[test]
    fn a_report_indexes_at_most_the_limit() {
        let many: String = (0..5_000).map(|n| format!("word{n} ")).collect();
        let terms = index_terms("Title here", None, &fields(&[("d", &many)]));
        assert_eq!(terms.len(), TERMS_PER_REPORT_MAX);
        assert_eq!(terms[0], "tit", "the title's terms come first");
    }

    #[test]
    fn a_search_reads_words_once_and_says_what_is_wrong() {
        let q = SearchQuery::parse("  Injection injection ddb6 ").unwrap();
        assert_eq!(
            q.words(),
            [
                SearchWord {
                    term: "injection".into(),
                    id_prefix: true
                },
                SearchWord {
                    term: "ddb6".into(),
                    id_prefix: true
                },
            ]
        );
        assert_eq!(q.text(), "Injection injection ddb6");
        assert!(
            !SearchQuery::parse("sql").unwrap().words()[0].id_prefix,
            "three characters are no id"
        );
        assert!(
            !SearchQuery::parse("2024").unwrap().words()[0].id_prefix,
            "0, 1, 8 and 9 are in no id"
        );
        let err = SearchQuery::parse("a of v1").unwrap_err();
        assert!(err.contains("no word to search for"), "{err}");
        let err = SearchQuery::parse(&"x".repeat(QUERY_CHARS_MAX + 1)).unwrap_err();
        assert!(err.contains("at most 200"), "{err}");
        let nine = "one two three four five six seven eight nine";
        assert!(SearchQuery::parse(nine).unwrap_err().contains("at most 8"));
        let eight = "one two three four five six seven eight";
        assert_eq!(
            SearchQuery::parse(eight).unwrap().words().len(),
            QUERY_WORDS_MAX
        );
    }
}
