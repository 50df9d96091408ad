//! Likely duplicates among a project's reports, found without keeping their words.
//!
//! Report contents are encrypted at rest, so the store cannot compare texts. At intake the
//! plaintext is reduced to a `Fingerprint`: a bottom-k MinHash of the report's features. Each
//! feature is hashed with SHA-256 under a secret key first, so a stored fingerprint cannot be
//! checked against guessed words without the key; with it, two fingerprints still estimate the
//! (weighted) Jaccard similarity of two reports' features, enough to suggest duplicates.
//!
//! Two write-ups of one bug share little prose but the same code names: the endpoint, the
//! parameter, the function. Two different bugs in one project share prose ("an attacker can
//! steal the session cookie") and the version. So the features are: identifiers whole (paths
//! with their ids replaced by `*`, `snake_case` and `camelCase` names) counted
//! `IDENTIFIER_WEIGHT` times; other compounds (versions, addresses, CVE ids); words, lightly
//! stemmed, without common English, report and payload vocabulary; and pairs of adjacent words.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use sha2::{Digest as _, Sha256};

/// Hashes kept per fingerprint. For texts with more features the estimate's standard error is
/// at most `sqrt(J(1-J)/SLOTS)`, 0.032 at a similarity of 0.15, for 512 bytes per report: small
/// enough that a report page compares a thousand candidates in a few milliseconds.
pub const FINGERPRINT_SLOTS: usize = 128;
/// Bytes of a fingerprint in storage.
pub const FINGERPRINT_BYTES: usize = FINGERPRINT_SLOTS * 4;
/// Similarity from which a report is suggested as a likely duplicate: in the test corpus,
/// independent write-ups of one bug measure 0.16 to 0.21 and different bugs of one project at
/// most 0.08, so the threshold sits between with a margin of about 0.04 on each side.
pub const LIKELY_DUPLICATE_MIN: f64 = 0.12;
/// How many times an identifier counts against one word: it is what names the bug. At most 8,
/// the words of one digest.
pub const IDENTIFIER_WEIGHT: u8 = 5;
/// Tokens read from a text; the rest is ignored, so a huge report costs bounded work.
pub const MAX_TOKENS: usize = 20_000;
/// Characters kept of one token: longer ones are payloads or blobs, whose start is enough.
pub const MAX_TOKEN_CHARS: usize = 64;
/// Shortest word kept: shorter ones ("is", "v1", "x") say nothing about which bug it is.
const MIN_WORD_CHARS: usize = 3;
/// Separates the hashes of this use from any other use of the same key.
const DOMAIN: &[u8] = b"postern similarity v1\0";
/// Slot value of a fingerprint without features.
const EMPTY_SLOT: u32 = u32::MAX;

/// Stemmed words that say nothing about which bug a report is: common English, the vocabulary
/// of every report ("attacker", "request", "version") and of every payload ("script", "alert",
/// "union"), in their stemmed forms ("caus", "includ"). Sorted, so that a reader finds a word;
/// looked up through `STOP_TABLE`. Left unformatted, as one word a line would take 190 lines.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "able", "about", "above", "access", "account", "affect", "after", "again", "alert", "all",
    "allow", "also", "and", "any", "api", "app", "application", "are", "attach", "attack",
    "attacker", "because", "been", "before", "being", "below", "both", "browser", "bug", "but",
    "can", "caus", "cause", "client", "com", "concept", "contain", "cookie", "could", "data",
    "did", "document", "does", "doing", "done", "each", "endpoint", "etc", "example", "exploit",
    "field", "fix", "fixed", "follow", "for", "found", "from", "get", "had", "has", "have",
    "having", "hello", "her", "here", "him", "his", "how", "http", "iframe", "img", "impact",
    "includ", "include", "input", "instead", "into", "issue", "its", "just", "lead", "led",
    "like", "localhost", "look", "made", "make", "malicious", "more", "most", "not", "now",
    "null", "once", "one", "onerror", "onload", "only", "org", "other", "our", "out", "output",
    "over", "page", "param", "parameter", "passwd", "payload", "please", "poc", "possible",
    "post", "proof", "put", "regard", "reproduce", "request", "response", "result", "return",
    "root", "same", "screenshot", "script", "secure", "security", "see", "select", "send", "sent",
    "server", "session", "she", "should", "site", "sleep", "some", "src", "steal", "step", "such",
    "svg", "team", "test", "than", "thank", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "through", "too", "under", "union", "until", "use", "used",
    "user", "using", "value", "version", "very", "victim", "vuln", "vulnerabilitie",
    "vulnerability", "vulnerable", "was", "website", "were", "what", "when", "where", "which",
    "while", "who", "why", "will", "with", "within", "without", "work", "would", "www", "you",
    "your",
];

/// `STOP_WORDS` in an open-addressing hash table with linear probing, built at compile time:
/// every word of a text is looked up, and the few probes of this table cost a fraction of a
/// binary search over strings. A slot holds an index into `STOP_WORDS`, or `NO_STOP_WORD`; the
/// table is less than half full, so a probe sequence soon meets an empty slot.
const STOP_TABLE: [u8; STOP_TABLE_SLOTS] = {
    assert!(STOP_WORDS.len() < NO_STOP_WORD as usize && 2 * STOP_WORDS.len() < STOP_TABLE_SLOTS);
    let mut table = [NO_STOP_WORD; STOP_TABLE_SLOTS];
    let mut i = 0;
    while i < STOP_WORDS.len() {
        let mut slot = stop_slot(STOP_WORDS[i]);
        while table[slot] != NO_STOP_WORD {
            slot = (slot + 1) % STOP_TABLE_SLOTS;
        }
        table[slot] = i as u8;
        i += 1;
    }
    table
};
/// Slots of `STOP_TABLE`, a power of two.
const STOP_TABLE_SLOTS: usize = 512;
/// An empty slot of `STOP_TABLE`.
const NO_STOP_WORD: u8 = u8::MAX;

/// The first slot of `STOP_TABLE` to probe for `word`: FNV-1a of its bytes, whose high bits
/// are mixed by a last multiplication.
const fn stop_slot(word: &str) -> usize {
    let bytes = word.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u64).wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    (hash.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - STOP_TABLE_SLOTS.trailing_zeros())) as usize
}

/// True when `word` is one of `STOP_WORDS`.
fn is_stop_word(word: &str) -> bool {
    let mut slot = stop_slot(word);
    loop {
        match STOP_TABLE[slot] {
            NO_STOP_WORD => return false,
            i if STOP_WORDS[usize::from(i)] == word => return true,
            _ => slot = (slot + 1) % STOP_TABLE_SLOTS,
        }
    }
}

/// A keyed bottom-k MinHash signature: the `FINGERPRINT_SLOTS` smallest keyed hashes of a
/// text's features, ascending, padded with `u32::MAX`.
///
/// The smallest hashes of the union of two texts' features are a uniform sample of that union,
/// so the share of them that both texts hold estimates the Jaccard similarity; a text with
/// fewer features than slots keeps them all, and its comparisons are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    slots: [u32; FINGERPRINT_SLOTS],
}

impl Fingerprint {
    /// The fingerprint of `text` under the project's secret `key`.
    pub fn of(key: &[u8; 32], text: &str) -> Fingerprint {
        // Each distinct feature is hashed once (a repeated paragraph costs nothing more), with
        // its heaviest weight. The map tells features apart by their bytes, exactly, and hashes
        // them with std's randomly keyed hasher, so a crafted text cannot make lookups collide.
        // Reports have about one distinct feature per 8 bytes; the cap keeps a huge text from
        // reserving much up front.
        let mut distinct: HashMap<FeatureKey, u8> =
            HashMap::with_capacity(text.len().min(4096) / 8);
        for_each_feature(text, |feature, weight| {
            let kept = distinct.entry(FeatureKey::new(feature)).or_insert(weight);
            *kept = (*kept).max(weight);
        });
        let keyed = Sha256::new().chain_update(DOMAIN).chain_update(key);
        let mut hashes: Vec<u32> = Vec::with_capacity(distinct.len() * 2);
        // The map's order is arbitrary, but the hashes are sorted below, so it does not matter.
        for (feature, weight) in distinct {
            let digest: [u8; 32] = keyed
                .clone()
                .chain_update(feature.as_bytes())
                .finalize()
                .into();
            // A weight of n is n distinct copies of the feature: the digest's first n words,
            // independent outputs of one keyed hash.
            for copy in digest.chunks_exact(4).take(usize::from(weight)) {
                let hash = u32::from_be_bytes([copy[0], copy[1], copy[2], copy[3]]);
                hashes.push(hash.min(EMPTY_SLOT - 1));
            }
        }
        hashes.sort_unstable();
        hashes.dedup();
        let mut slots = [EMPTY_SLOT; FINGERPRINT_SLOTS];
        for (slot, hash) in slots.iter_mut().zip(hashes) {
            *slot = hash;
        }
        Fingerprint { slots }
    }

    /// The kept hashes, without the padding.
    fn hashes(&self) -> &[u32] {
        let len = self.slots.iter().position(|&slot| slot == EMPTY_SLOT);
        &self.slots[..len.unwrap_or(FINGERPRINT_SLOTS)]
    }

    /// True when the text had no features: such a fingerprint is similar to nothing.
    pub fn is_empty(&self) -> bool {
        self.hashes().is_empty()
    }

    /// The fingerprint as `FINGERPRINT_BYTES` bytes, for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.slots
            .iter()
            .flat_map(|slot| slot.to_be_bytes())
            .collect()
    }

    /// A stored fingerprint, or `None` if `bytes` is not `FINGERPRINT_BYTES` long or its hashes
    /// are not strictly ascending before the padding.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fingerprint> {
        if bytes.len() != FINGERPRINT_BYTES {
            return None;
        }
        let mut slots = [EMPTY_SLOT; FINGERPRINT_SLOTS];
        for (slot, chunk) in slots.iter_mut().zip(bytes.chunks_exact(4)) {
            *slot = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        let ascending = slots
            .windows(2)
            .all(|pair| pair[0] < pair[1] || pair[1] == EMPTY_SLOT);
        ascending.then_some(Fingerprint { slots })
    }

    /// The estimated (weighted) Jaccard similarity of the two texts' features, 0.0 to 1.0.
    pub fn similarity(&self, other: &Fingerprint) -> f64 {
        let (a, b) = (self.hashes(), other.hashes());
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        // Walk the smallest hashes of the union; stopping at `FINGERPRINT_SLOTS` keeps the walk
        // below the largest hash of a full fingerprint, where its set is known.
        let (mut i, mut j, mut union, mut both) = (0, 0, 0, 0);
        while union < FINGERPRINT_SLOTS && (i < a.len() || j < b.len()) {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x == y => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x > y => j += 1,
                (Some(_), _) => i += 1,
                (None, _) => j += 1,
            }
            union += 1;
        }
        both as f64 / union as f64
    }
}

/// A feature as a map key: its bytes in place when they fit, else boxed. Most features are
/// words or pairs of words, so most keys are made without allocating. A key hashes and compares
/// as its bytes alone, whichever form holds them.
enum FeatureKey {
    Inline {
        len: u8,
        bytes: [u8; INLINE_FEATURE_BYTES],
    },
    Boxed(Box<[u8]>),
}

/// Bytes of a feature kept in place in a `FeatureKey`: with its length and the variant's tag, a
/// key fills 32 bytes.
const INLINE_FEATURE_BYTES: usize = 30;

impl FeatureKey {
    fn new(feature: &str) -> FeatureKey {
        let feature = feature.as_bytes();
        match feature.len() {
            len @ 0..=INLINE_FEATURE_BYTES => {
                let mut bytes = [0; INLINE_FEATURE_BYTES];
                bytes[..len].copy_from_slice(feature);
                // At most `INLINE_FEATURE_BYTES`, so it fits.
                let len = len as u8;
                FeatureKey::Inline { len, bytes }
            }
            _ => FeatureKey::Boxed(feature.into()),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            FeatureKey::Inline { len, bytes } => &bytes[..usize::from(*len)],
            FeatureKey::Boxed(bytes) => bytes,
        }
    }
}

impl PartialEq for FeatureKey {
    fn eq(&self, other: &FeatureKey) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for FeatureKey {}

impl Hash for FeatureKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
    }
}

/// The candidates similar to `of` from `LIKELY_DUPLICATE_MIN` up, most similar first (ties in
/// the given order), at most `limit` of them.
pub fn likely_duplicates<'a, T>(
    of: &Fingerprint,
    candidates: impl IntoIterator<Item = (T, &'a Fingerprint)>,
    limit: usize,
) -> Vec<(T, f64)> {
    let mut found: Vec<(T, f64)> = candidates
        .into_iter()
        .map(|(id, fingerprint)| (id, of.similarity(fingerprint)))
        .filter(|&(_, score)| score >= LIKELY_DUPLICATE_MIN)
        .collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1));
    found.truncate(limit);
    found
}

/// True for the characters of a token: letters, digits, joiners and braces.
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || is_joiner(c) || c == '{' || c == '}'
}

/// Characters that join the parts of a path, identifier, version or CVE id into one token.
fn is_joiner(c: char) -> bool {
    matches!(c, '_' | '-' | '/' | '.')
}

/// A path segment that differs between reports of one bug: `{id}`, `4242`, a UUID or hash.
fn is_variable(segment: &str) -> bool {
    let hex = segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    (segment.len() >= 2 && segment.starts_with('{') && segment.ends_with('}'))
        || (!segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()))
        || (segment.len() >= 8 && hex && segment.chars().any(|c| c.is_ascii_digit()))
}

/// Plural, `-ing` and `-ed` endings removed, so "files" and "file" meet. Crude but consistent.
fn stem(word: &str) -> &str {
    let long = |rest: &str| rest.len() >= 4;
    if let Some(rest) = word.strip_suffix("es")
        && long(rest)
        && ["ss", "sh", "ch", "x"]
            .iter()
            .any(|end| rest.ends_with(end))
    {
        return rest;
    }
    if let Some(rest) = word.strip_suffix('s')
        && long(rest)
        && !["s", "u", "i"].iter().any(|end| rest.ends_with(end))
    {
        return rest;
    }
    match word.strip_suffix("ing").or_else(|| word.strip_suffix("ed")) {
        Some(rest) if long(rest) => rest,
        _ => word,
    }
}

/// The features of `text` with their weights, in the order `for_each_feature` gives them.
#[cfg(test)]
fn features(text: &str) -> Vec<(String, u8)> {
    let mut features = Vec::new();
    for_each_feature(text, |feature, weight| {
        features.push((feature.to_owned(), weight));
    });
    features
}

/// Calls `emit` with each feature of `text` and its weight; a feature may come more than once.
///
/// This runs on every report, so it borrows what it can from `text` and builds the rest in
/// buffers reused from token to token, instead of allocating strings per token.
fn for_each_feature(text: &str, mut emit: impl FnMut(&str, u8)) {
    // The token lowercased, the token with its path ids replaced, the previous kept word (empty
    // before the first: a kept word has at least `MIN_WORD_CHARS` characters), and a pair.
    let (mut lower, mut path, mut previous, mut pair) =
        (String::new(), String::new(), String::new(), String::new());
    let tokens = text
        .split(|c: char| !is_token_char(c))
        .filter(|token| !token.is_empty())
        .take(MAX_TOKENS);
    for raw in tokens {
        // A token no longer in bytes than the limit in characters needs no cut.
        let end = if raw.len() <= MAX_TOKEN_CHARS {
            raw.len()
        } else {
            raw.char_indices()
                .nth(MAX_TOKEN_CHARS)
                .map_or(raw.len(), |(i, _)| i)
        };
        let raw = &raw[..end];
        let ascii = raw.is_ascii();
        // A lowercase letter followed by an uppercase one, as in `getInvoice`.
        let camel = if ascii {
            raw.as_bytes()
                .windows(2)
                .any(|ab| ab[0].is_ascii_lowercase() && ab[1].is_ascii_uppercase())
        } else {
            raw.chars()
                .zip(raw.chars().skip(1))
                .any(|(a, b)| a.is_lowercase() && b.is_uppercase())
        };
        lower.clear();
        if ascii {
            lower.push_str(raw);
            lower.make_ascii_lowercase();
        } else {
            // Unicode lowercasing depends on context (a final sigma), so leave it to std.
            lower.push_str(&raw.to_lowercase());
        }
        let token = if lower.contains('/') {
            path.clear();
            for (i, segment) in lower.split('/').enumerate() {
                if i > 0 {
                    path.push('/');
                }
                path.push_str(if is_variable(segment) { "*" } else { segment });
            }
            &path
        } else {
            &lower
        };
        let token = token.trim_matches(|c: char| is_joiner(c) || c == '{' || c == '}');
        let parts = || {
            token
                .split(|c: char| !c.is_alphanumeric())
                .filter(|part| part.chars().nth(MIN_WORD_CHARS - 1).is_some())
        };
        // The characters that decide what else the token gives are ASCII, so one pass over its
        // bytes finds them all: in UTF-8 an ASCII byte is always that character.
        let (mut joiner, mut underscore, mut slash, mut digit) = (false, false, false, false);
        for byte in token.bytes() {
            match byte {
                b'_' => (joiner, underscore) = (true, true),
                b'/' => (joiner, slash) = (true, true),
                b'-' | b'.' => joiner = true,
                b'0'..=b'9' => digit = true,
                _ => {}
            }
        }
        // A compound is kept only with a word or a digit in it, so "e.g" or "../.." add nothing.
        if (joiner || camel) && (digit || parts().next().is_some()) {
            let identifier = camel || underscore || slash;
            emit(token, if identifier { IDENTIFIER_WEIGHT } else { 1 });
        }
        // `invoice.org_id` and `src/upload_handler.rs` also name `org_id` and `upload_handler`.
        if underscore {
            for name in token
                .split(['/', '.'])
                .filter(|name| name.contains('_') && *name != token)
            {
                emit(name, IDENTIFIER_WEIGHT);
            }
        }
        for part in parts() {
            let word = stem(part);
            if is_stop_word(word) {
                continue;
            }
            if !previous.is_empty() {
                pair.clear();
                pair.push_str(&previous);
                pair.push(' ');
                pair.push_str(word);
                emit(&pair, 1);
            }
            previous.clear();
            previous.push_str(word);
            emit(word, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: [u8; 32] = [7; 32];

    /// One fictional project's reports: four bugs reported twice in different words, and eight
    /// other bugs sharing the usual vocabulary, some close in topic to a pair (another XSS,
    /// another file bug, another email bug).
    const NAMES: [&str; 16] = [
        "traversal-1",
        "traversal-2",
        "xss-1",
        "xss-2",
        "ssrf-1",
        "ssrf-2",
        "sqli",
        "csrf",
        "jwt",
        "redirect",
        "reflected-xss",
        "upload",
        "idor-1",
        "idor-2",
        "ratelimit",
        "xxe",
    ];
    const REPORTS: [&str; 16] = [
        "Path traversal in file download. GET /api/v1/files?name= does not sanitise the name parameter: requesting /api/v1/files?name=../../etc/passwd returns the contents of /etc/passwd. The download_handler function joins the user supplied name with the storage directory without canonicalising it. Tested on version 2.3.1. Impact: an unauthenticated attacker can read arbitrary files on the server, including config.yaml with the database credentials.",
        "Arbitrary file read via directory traversal. Hi team, the files API lets me escape the uploads folder. Steps: 1. log in as any user 2. curl 'https://notes.acme.test/api/v1/files?name=../../../../etc/passwd' 3. the response contains root:x:0:0. Looking at your source, download_handler in src/files.rs passes name straight to Path::join. Affects 2.3.0 and 2.3.1. Fix: reject names containing .. or canonicalize and check the prefix.",
        "Stored XSS in profile display name. The display_name field on the profile settings page accepts HTML. Set it to <script>alert(document.cookie)</script> and save. Anyone who visits /users/{id} for that account executes the script, because the profile template renders display_name with the |safe filter. Version 2.3.1. An attacker could steal the session cookies of admins who view the profile.",
        "Persistent cross-site scripting via the user display name. I changed my display name to \"><img src=x onerror=alert(1)> using PATCH /api/v1/users/me with {\"display_name\": ...}. When another user opens my public profile at /users/4242 the payload fires. It looks like display_name is output unescaped in the profile page template. Works in 2.3.1 on Firefox and Chrome.",
        "SSRF through webhook URL. In project settings, the webhook_url parameter of POST /api/v1/webhooks is fetched by the server when you click Test. Setting webhook_url=http://169.254.169.254/latest/meta-data/iam/security-credentials/ returns the cloud instance role credentials in the test response. The server does not block link-local or private addresses. Tested on notes.acme.test, version 2.3.1.",
        "Server-side request forgery in webhooks. The webhook test button makes the backend request any URL I give in webhook_url, including internal ones. I pointed it at http://169.254.169.254/latest/meta-data/ and got the AWS metadata listing back; http://localhost:6379 also connects to Redis. Suggest resolving the host and refusing loopback, link-local (169.254.0.0/16) and private ranges before sending the webhook request.",
        "SQL injection in note search. The q parameter of GET /api/v1/search is concatenated into the SQL query in search_notes. Sending q=' OR 1=1-- returns the notes of every user, and a UNION SELECT payload dumps the users table including password hashes. Version 2.3.1. An attacker with any account can read the whole database.",
        "CSRF on account settings. The POST /settings/email form has no CSRF token and the session cookie is SameSite=None. A malicious page can auto-submit a form that changes the victim's email address to one the attacker controls, then use password reset to take over the account. Tested on 2.3.1 with Chrome.",
        "Weak JWT signing secret. API tokens are HS256 JWTs signed with the secret 'changeme', which is the default in config.example.yaml and is used in production. I cracked it with hashcat in seconds and could forge a token with \"role\": \"admin\" that every /api/v1 endpoint accepts. Please rotate the secret and generate a random one at install.",
        "Open redirect on login. After signing in, the login page sends the user to the next= parameter without checking it: https://notes.acme.test/login?next=https://evil.example redirects to an attacker site. This helps phishing since the link starts with the real domain. The redirect_after_login function should only accept relative paths. Version 2.3.1.",
        "Reflected XSS in the search results page. The search term from /search?q= is echoed in the 'No results for' message without escaping. Visiting /search?q=<script>alert(document.domain)</script> runs script in the victim's session. Version 2.3.1. An attacker can send the link to a logged in user to steal their session cookie.",
        "Unrestricted file upload. POST /api/v1/upload accepts .html and .svg files and serves them from the same origin with their own content type, so an uploaded file runs script in the user's session. The upload_handler only checks the file size. Version 2.3.1. An attacker can host a phishing page on the real domain.",
        "IDOR on invoices. Any logged in user can download another organisation's invoice PDF by changing the number in GET /api/v1/invoices/{invoice_id}/pdf. The get_invoice handler loads the invoice by id but never checks that invoice.org_id matches the caller's organisation. I fetched invoice 1001 (not mine) from a fresh trial account. Version 2.3.1.",
        "Broken access control: invoices of other tenants are readable. Steps: sign up for a free trial, note your own invoice URL /api/v1/invoices/5230/pdf, then decrement the id. Each request returns a different customer's billing PDF with names, addresses and amounts. The server only checks that the session is valid, not that the invoice belongs to your org. Likely missing an org_id check in get_invoice.",
        "No rate limiting on password reset. POST /api/v1/password/reset can be called thousands of times a minute for the same email address; each call sends an email, so an attacker can flood any user's inbox, and the six digit reset code can be brute forced within its 30 minute lifetime. Version 2.3.1.",
        "XML external entity injection in note import. The import feature at POST /api/v1/import accepts .xml exports and parses them with external entities enabled. Uploading a file with <!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/hostname\">]> shows the server's hostname in the imported note. The parse_import function uses the default parser settings. Version 2.3.1.",
    ];
    const DUPLICATES: &[(usize, usize)] = &[(0, 1), (2, 3), (4, 5), (12, 13)];

    #[test]
    fn duplicates_score_above_the_threshold_and_different_bugs_below() {
        // These reports have fewer weighted features than `FINGERPRINT_SLOTS`, so the scores
        // are the exact weighted Jaccard similarities, whatever the key.
        let prints: Vec<Fingerprint> = REPORTS.iter().map(|t| Fingerprint::of(&KEY, t)).collect();
        let header: String = (0..REPORTS.len()).map(|j| format!("{j:>5}")).collect();
        eprintln!("{:>16}{header}", "");
        for (i, name) in NAMES.iter().enumerate() {
            let row: String = prints
                .iter()
                .map(|p| format!("{:>5.2}", prints[i].similarity(p)))
                .collect();
            eprintln!("{i:>2} {name:>13}{row}");
        }
        let (mut lowest_duplicate, mut highest_other) = (1.0_f64, 0.0_f64);
        for i in 0..REPORTS.len() {
            for j in (i + 1)..REPORTS.len() {
                let score = prints[i].similarity(&prints[j]);
                if DUPLICATES.contains(&(i, j)) {
                    lowest_duplicate = lowest_duplicate.min(score);
                } else {
                    highest_other = highest_other.max(score);
                }
            }
        }
        eprintln!("lowest duplicate {lowest_duplicate:.3}, highest other {highest_other:.3}");
        assert!(lowest_duplicate >= LIKELY_DUPLICATE_MIN);
        assert!(highest_other < LIKELY_DUPLICATE_MIN);
        for &(a, b) in DUPLICATES {
            for (me, partner) in [(a, b), (b, a)] {
                let others = prints.iter().enumerate().filter(|&(k, _)| k != me);
                let found = likely_duplicates(&prints[me], others, 3);
                assert_eq!(found.iter().map(|&(k, _)| k).collect::<Vec<_>>(), [partner]);
            }
        }
    }

    #[test]
    fn long_texts_are_sampled_and_the_estimate_stays_near_the_exact_similarity() {
        let words = |range: std::ops::Range<usize>| {
            range
                .map(|i| format!("word{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let copies = |text: &str| -> std::collections::BTreeSet<(String, u8)> {
            let found = features(text);
            found
                .into_iter()
                .flat_map(|(f, w)| (0..w).map(move |c| (f.clone(), c)))
                .collect()
        };
        for (a, b) in [
            (0..1000, 500..1500),
            (0..1000, 900..1900),
            (0..400, 0..1000),
        ] {
            let (a, b) = (words(a), words(b));
            let (fa, fb) = (copies(&a), copies(&b));
            let exact = fa.intersection(&fb).count() as f64 / fa.union(&fb).count() as f64;
            let error = 4.0 * (exact * (1.0 - exact) / FINGERPRINT_SLOTS as f64).sqrt() + 0.01;
            for key in 0..8 {
                let key = [key; 32];
                let estimate = Fingerprint::of(&key, &a).similarity(&Fingerprint::of(&key, &b));
                eprintln!("exact {exact:.3}, estimate {estimate:.3}");
                assert!((estimate - exact).abs() <= error, "{exact} {estimate}");
            }
        }
    }

    fn has(features: &[(String, u8)], wanted: &str) -> bool {
        features.iter().any(|(feature, _)| feature == wanted)
    }

    #[test]
    fn identifiers_paths_and_versions_are_features_and_stop_words_are_not() {
        let found = features(
            "See /api/v1/files?name=../../etc/passwd in download_handler(), CVE-2024-1234 on 2.3.1. The x is on /users/{id} and /users/42/; getInvoice reads invoice.org_id, files and names.",
        );
        let wanted = "api/v1/files|file|name|etc/passwd|download_handler|download|handler|download handler|cve-2024-1234|cve|2024|2.3.1|users/*|getinvoice|invoice.org_id|org_id|read";
        for wanted in wanted.split('|') {
            assert!(has(&found, wanted), "{wanted} missing from {found:?}");
        }
        let unwanted = "the|is|on|x|v1|api|passwd|../../etc/passwd|see the|users/42|names";
        for unwanted in unwanted.split('|') {
            assert!(!has(&found, unwanted), "{unwanted} in {found:?}");
        }
        let weight = |wanted: &str| found.iter().find(|(f, _)| f == wanted).map(|&(_, w)| w);
        assert_eq!(weight("download_handler"), Some(IDENTIFIER_WEIGHT));
        assert_eq!(weight("2.3.1"), Some(1));
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
        // A stop word that stemming changes could never match.
        assert!(
            STOP_WORDS.iter().all(|word| stem(word) == *word),
            "unstemmed stop word"
        );
    }

    #[test]
    fn copies_keys_empties_and_storage() {
        let text = REPORTS[0];
        let print = Fingerprint::of(&KEY, text);
        assert_eq!(print.similarity(&Fingerprint::of(&KEY, text)), 1.0);
        let other_key = Fingerprint::of(&[8; 32], text);
        eprintln!("same text, two keys: {}", print.similarity(&other_key));
        assert!(print.similarity(&other_key) < 0.05);
        let empty = Fingerprint::of(&KEY, "");
        assert!(empty.is_empty() && Fingerprint::of(&KEY, "the is a ... e.g. x").is_empty());
        assert_eq!(empty.similarity(&empty), 0.0);
        assert_eq!(empty.similarity(&print), 0.0);
        assert_eq!(
            Fingerprint::from_bytes(&print.to_bytes()),
            Some(print.clone())
        );
        assert_eq!(print.to_bytes().len(), FINGERPRINT_BYTES);
        assert_eq!(Fingerprint::from_bytes(&[0; FINGERPRINT_BYTES - 1]), None);
        assert_eq!(Fingerprint::from_bytes(&[0; FINGERPRINT_BYTES + 4]), None);
        assert_eq!(
            Fingerprint::from_bytes(&[0; FINGERPRINT_BYTES]),
            None,
            "not ascending"
        );
        let near = Fingerprint::of(&KEY, REPORTS[1]);
        let found = likely_duplicates(
            &print,
            [("near", &near), ("copy", &print), ("empty", &empty)],
            5,
        );
        assert_eq!(
            found.iter().map(|&(id, _)| id).collect::<Vec<_>>(),
            ["copy", "near"]
        );
        assert_eq!(
            likely_duplicates(&print, [("copy", &print), ("near", &near)], 1).len(),
            1
        );
    }

    #[test]
    fn the_stop_word_table_holds_the_stop_words_and_nothing_else() {
        assert!(STOP_WORDS.iter().all(|word| is_stop_word(word)));
        for word in [
            "",
            "ab",
            "thes",
            "attackers",
            "traversal",
            "caus ",
            "vulnerabilities",
        ] {
            assert!(!is_stop_word(word), "{word}");
        }
    }

    /// Fingerprints are stored, so a change of `Fingerprint::of`, even one that keeps every
    /// property above, would make new reports incomparable with stored ones. This pins the
    /// output: the corpus, postern-bench's report (its fields as intake joins them, with and
    /// without the proof of concept) and a text of edge cases (Unicode, camelCase, paths with
    /// ids, overlong tokens), hashed together; the expected values were printed by the
    /// implementation before it was optimised.
    #[test]
    fn fingerprints_are_those_of_the_first_implementation() {
        let bench = format!(
            "{}\n{}\n{}\n{}",
            "Benchmark report 1",
            "A crafted request reaches the template engine unescaped. ".repeat(20),
            "Remote code execution as the service user.",
            "1. Send the request below.\n2. Observe the output.\n".repeat(5),
        );
        let intake =
            format!("{bench}\ncurl -X POST https://example.org/render -d 'tpl={{{{7*7}}}}'");
        let edge = format!(
            "Résumé: ΟΔΟΣ getInvoice reads invoice.org_id at /api/v1/users/{{id}}/files/4242 and /Users/DEADBEEF12/x; src/upload_handler.rs leaks CVE-2024-1234 in 2.3.1. İstanbul naïve café Straße ﬃ 中文 running caused boxes passes classes e.g ../.. {} {}",
            "a".repeat(70),
            "é".repeat(70),
        );
        let mut all = Sha256::new();
        for text in REPORTS
            .iter()
            .copied()
            .chain([bench.as_str(), &intake, &edge, ""])
        {
            all.update(Fingerprint::of(&KEY, text).to_bytes());
        }
        let hex: String = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5029914d875b7dbf826097b63a8c4928edbc21c414f07a103ac97ce9fa6b462e"
        );
        // The same, readable: the two smallest hashes of the first report.
        assert_eq!(
            Fingerprint::of(&KEY, REPORTS[0]).to_bytes()[..8],
            [0x01, 0x19, 0x03, 0xcb, 0x08, 0xf5, 0x3a, 0xe8]
        );
    }

    #[test]
    fn a_huge_text_is_cut_at_the_token_limit() {
        let huge = "long_".repeat(100) + &" alpha beta".repeat(MAX_TOKENS);
        let found = features(&huge);
        assert!(has(&found, &"long_".repeat(13)[..MAX_TOKEN_CHARS]));
        // Each word token gives a word and a pair: without the limit there would be 80,000.
        assert!(
            found.len() <= 2 * (MAX_TOKENS + MAX_TOKEN_CHARS),
            "{}",
            found.len()
        );
    }

    proptest! {
        #[test]
        fn a_word_is_a_stop_word_when_it_is_listed(word in "[a-z]{0,16}") {
            prop_assert_eq!(is_stop_word(&word), STOP_WORDS.contains(&word.as_str()));
        }

        #[test]
        fn similarity_is_symmetric_bounded_and_one_with_itself(
            a in "[a-zA-Z0-9_/.{} -]{0,80}",
            b in "[a-zA-Z0-9_/.{} -]{0,80}",
        ) {
            let (pa, pb) = (Fingerprint::of(&KEY, &a), Fingerprint::of(&KEY, &b));
            let score = pa.similarity(&pb);
            prop_assert!((0.0..=1.0).contains(&score));
            prop_assert_eq!(score, pb.similarity(&pa));
            prop_assert_eq!(pa.is_empty(), features(&a).is_empty());
            if !pa.is_empty() {
                prop_assert_eq!(pa.similarity(&pa), 1.0);
            }
        }
    }
}
