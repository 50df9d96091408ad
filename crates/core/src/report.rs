//! Reports as values: their ids, the reporter's case key, their status and conversation.
//!
//! Randomness is passed in (the store draws it from the OS), so these types stay pure and their
//! parsing can be tested exhaustively.

use std::fmt;

/// Lower-case RFC 4648 base32 without padding: no ambiguous upper/lower case, no symbols.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Bytes of entropy in a report id.
pub const REPORT_ID_BYTES: usize = 16;
/// Characters of a report id.
pub const REPORT_ID_CHARS: usize = 26;

/// Whether `text` could be the beginning of a report id: 1 to `REPORT_ID_CHARS` characters of
/// the ids' alphabet.
pub fn could_start_id(text: &str) -> bool {
    (1..=REPORT_ID_CHARS).contains(&text.len()) && text.bytes().all(|b| ALPHABET.contains(&b))
}

/// A report's public identifier: 128 random bits, so ids reveal nothing and cannot be guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportId(String);

impl ReportId {
    /// An id from random bytes.
    pub fn from_random(bytes: [u8; REPORT_ID_BYTES]) -> ReportId {
        ReportId(base32(&bytes))
    }

    /// Parses an id as it appears in URLs.
    pub fn parse(text: &str) -> Option<ReportId> {
        (text.len() == REPORT_ID_CHARS && text.bytes().all(|b| ALPHABET.contains(&b)))
            .then(|| ReportId(text.to_owned()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bytes of entropy in a case key: 160 bits, well above the 128 the threat model asks for.
pub const CASE_KEY_BYTES: usize = 20;
/// Characters of a case key without its prefix and dashes.
pub const CASE_KEY_CHARS: usize = 32;
const CASE_KEY_PREFIX: &str = "pk";

/// The reporter's secret: the only way to read and answer their case.
///
/// Displayed as `pk-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx-xxxx`, easy to copy or write down. Parsing
/// forgives case, spaces, missing dashes and the look-alikes 0/o, 1/l and 8/b. `Debug` never
/// shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct CaseKey(String);

impl fmt::Debug for CaseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CaseKey(…)")
    }
}

impl CaseKey {
    /// A key from random bytes.
    pub fn from_random(bytes: [u8; CASE_KEY_BYTES]) -> CaseKey {
        CaseKey(base32(&bytes))
    }

    /// Parses a key as a person may have typed it.
    pub fn parse(text: &str) -> Option<CaseKey> {
        let lower = text.trim().to_ascii_lowercase();
        let body = lower
            .strip_prefix(CASE_KEY_PREFIX)
            .filter(|rest| rest.starts_with(['-', ' ']))
            .unwrap_or(&lower);
        let canonical: String = body
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| match c {
                '0' => 'o',
                '1' => 'l',
                '8' => 'b',
                c => c,
            })
            .collect();
        (canonical.len() == CASE_KEY_CHARS && canonical.bytes().all(|b| ALPHABET.contains(&b)))
            .then_some(CaseKey(canonical))
    }

    /// The canonical bytes that are hashed for storage.
    pub fn canonical_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The key as shown to the reporter, once.
    pub fn reveal(&self) -> String {
        let groups: Vec<&str> = self
            .0
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!("{CASE_KEY_PREFIX}-{}", groups.join("-"))
    }
}

/// Where a report stands in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// Submitted, not yet seen by the team.
    Received,
    /// The team confirmed receipt.
    Acknowledged,
    /// Assessed: accepted with a severity, or closed.
    Triaged,
    /// A fix is being made.
    Fixing,
    /// Fixed in a release.
    Fixed,
    /// The advisory is public.
    Disclosed,
    /// Done.
    Closed,
}

impl ReportStatus {
    /// Every status with its stored name.
    pub const ALL: [(&'static str, ReportStatus); 7] = [
        ("received", ReportStatus::Received),
        ("acknowledged", ReportStatus::Acknowledged),
        ("triaged", ReportStatus::Triaged),
        ("fixing", ReportStatus::Fixing),
        ("fixed", ReportStatus::Fixed),
        ("disclosed", ReportStatus::Disclosed),
        ("closed", ReportStatus::Closed),
    ];

    /// The stored name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("received", |(n, _)| n)
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<ReportStatus> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// What the reporter is told.
    pub fn describe(self) -> &'static str {
        match self {
            ReportStatus::Received => "Received: waiting for the team to acknowledge it",
            ReportStatus::Acknowledged => "Acknowledged: the team is assessing it",
            ReportStatus::Triaged => "Triaged: the team has assessed it",
            ReportStatus::Fixing => "Fixing: a fix is being prepared",
            ReportStatus::Fixed => "Fixed: a fix has been released",
            ReportStatus::Disclosed => "Disclosed: the advisory is public",
            ReportStatus::Closed => "Closed",
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The reporter, through their case key.
    Reporter,
    /// A member of the project's team.
    Team,
}

impl Author {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Author::Reporter => "reporter",
            Author::Team => "team",
        }
    }

    /// From the stored name.
    pub fn parse(name: &str) -> Option<Author> {
        match name {
            "reporter" => Some(Author::Reporter),
            "team" => Some(Author::Team),
            _ => None,
        }
    }
}

/// Longest title a report is listed under, in characters (a longer one is cut, with "…").
pub const TITLE_CHARS_MAX: usize = 200;
/// The title of a report without a title or any text.
pub const UNTITLED: &str = "Untitled report";

/// The line a report is listed and headed under: its `title` field, or else the first line of
/// its first field with text (a form without a title field, or an old report), on one line,
/// without control or bidirectional-override characters (which could make a list lie about
/// what follows them), at most `TITLE_CHARS_MAX` characters.
pub fn title(fields: &[(String, String)]) -> String {
    let chosen = fields
        .iter()
        .find(|(id, value)| id == "title" && !value.trim().is_empty())
        .or_else(|| fields.iter().find(|(_, value)| !value.trim().is_empty()))
        .map(|(_, value)| value.as_str())
        .unwrap_or_default();
    let first_line = chosen
        .lines()
        .map(|line| line.trim().trim_start_matches('#').trim())
        .find(|line| !line.is_empty())
        .unwrap_or_default();
    let clean: String = first_line
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let words = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        return UNTITLED.to_owned();
    }
    if words.chars().count() <= TITLE_CHARS_MAX {
        return words;
    }
    let mut cut: String = words.chars().take(TITLE_CHARS_MAX - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Characters that reorder the text around them (Unicode bidirectional controls).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_and_keys_have_fixed_shapes() {
        let id = ReportId::from_random([0xAB; REPORT_ID_BYTES]);
        assert_eq!(id.as_str().len(), REPORT_ID_CHARS);
        assert_eq!(ReportId::parse(id.as_str()), Some(id));
        assert_eq!(ReportId::parse("../../etc/passwd"), None);
        let key = CaseKey::from_random([0; CASE_KEY_BYTES]);
        assert_eq!(key.reveal(), "pk-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaa");
        assert_eq!(format!("{key:?}"), "CaseKey(…)");
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_report_is_titled_by_its_title_field_else_its_first_line() {
        assert_eq!(
            title(&fields(&[
                ("description", "Long text"),
                ("title", "  RCE in  the parser ")
            ])),
            "RCE in the parser"
        );
        assert_eq!(
            title(&fields(&[
                ("summary", "\n\n# Stored XSS\nin the editor"),
                ("impact", "all")
            ])),
            "Stored XSS",
            "a form without a title field: the first line with text, without a heading's #"
        );
        assert_eq!(
            title(&fields(&[
                ("title", " "),
                ("description", "SSRF via webhooks")
            ])),
            "SSRF via webhooks"
        );
        assert_eq!(title(&[]), UNTITLED);
        assert_eq!(
            title(&fields(&[(
                "title",
                "evil\u{202E}txt.exe\u{0007} tab\there"
            )])),
            "eviltxt.exe tab here",
            "no bidirectional overrides or control characters"
        );
        let long = "a".repeat(TITLE_CHARS_MAX + 50);
        let cut = title(&fields(&[("title", &long)]));
        assert_eq!(cut.chars().count(), TITLE_CHARS_MAX);
        assert!(cut.ends_with('…'));
        let exact = "b".repeat(TITLE_CHARS_MAX);
        assert_eq!(
            title(&fields(&[("title", &exact)])),
            exact,
            "at the limit: kept whole"
        );
    }

    proptest! {
        #[test]
        fn a_title_is_one_bounded_line_whatever_was_written(pairs in proptest::collection::vec(("[a-z_]{1,8}", any::<String>()), 0..4)) {
            let t = title(&pairs);
            prop_assert!(!t.is_empty());
            prop_assert!(t.chars().count() <= TITLE_CHARS_MAX);
            prop_assert!(!t.chars().any(|c| c.is_control() || is_bidi_control(c)));
            prop_assert_eq!(t.trim(), t.as_str());
        }
    }

    proptest! {
        #[test]
        fn case_keys_round_trip_however_they_are_typed(bytes in any::<[u8; CASE_KEY_BYTES]>(), upper in any::<bool>(), spaced in any::<bool>()) {
            let key = CaseKey::from_random(bytes);
            let mut shown = key.reveal();
            if upper { shown = shown.to_uppercase(); }
            if spaced { shown = format!("  {}  ", shown.replace('-', " ")); }
            prop_assert_eq!(CaseKey::parse(&shown), Some(key.clone()));
            let bare: String = key.reveal().chars().skip(3).filter(|c| *c != '-').collect();
            prop_assert_eq!(CaseKey::parse(&bare), Some(key));
        }

        #[test]
        fn wrong_lengths_and_symbols_are_refused(text in "[a-z2-7-]{0,31}|[!-~]{40,60}") {
            let accepted = CaseKey::parse(&text);
            if let Some(key) = accepted {
                prop_assert_eq!(key.canonical_bytes().len(), CASE_KEY_CHARS);
            }
        }
    }
}
