//! TOML to `Policy`, collecting every located error instead of stopping at the first.
//!
//! Serde would stop at the first wrong type and says little about what to write instead, so the
//! policy is decoded by hand from the spanned TOML tree. Every key a table is asked for becomes a
//! known key; whatever is left over is an unknown key, reported with the closest known one.

use std::ops::Range;

use jiff::Timestamp;
use jiff::civil::Date;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{Diagnostic, SpanMap};
use super::model::*;
use super::time_span::{Target, TimeSpan, parse_target, parse_time_span};
use super::{one_line, standard_fields};

/// What may start the assessment: it is kept at triage, so triage cannot start it.
const ASSESS_STARTS: [(&str, Start); 2] = [Start::ALL[0], Start::ALL[1]];
/// What may start the acknowledgement: only receipt, since acknowledging keeps it.
const ACKNOWLEDGE_STARTS: [(&str, Start); 1] = [Start::ALL[0]];

/// The decoder's state: findings so far and where each key sits.
pub(crate) struct Decoder {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) spans: SpanMap,
}

/// A table being decoded.
struct Table<'a, 'i> {
    path: String,
    table: &'a DeTable<'i>,
    span: Range<usize>,
    known: Vec<&'static str>,
}

type Value<'a, 'i> = &'a Spanned<DeValue<'i>>;

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn describe_table(path: &str) -> String {
    if path.is_empty() {
        "the top level of the file".to_owned()
    } else {
        format!("`{path}`")
    }
}

/// The known name closest to a misspelt one, if any is close enough to be a plausible typo.
pub(crate) fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let word = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&word, k), *k))
        .filter(|(distance, k)| *distance <= (k.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

fn suggestion(word: &str, known: &[&str]) -> String {
    match closest(word, known) {
        Some(k) => format!("did you mean `{k}`?"),
        None => format!("expected one of: {}", known.join(", ")),
    }
}

impl Decoder {
    pub(crate) fn new() -> Decoder {
        Decoder {
            diagnostics: Vec::new(),
            spans: SpanMap::default(),
        }
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(Some(span), message.into()));
    }

    fn get<'a, 'i>(
        &mut self,
        table: &mut Table<'a, 'i>,
        key: &'static str,
    ) -> Option<Value<'a, 'i>> {
        table.known.push(key);
        let (_, value) = table.table.get_key_value(key)?;
        self.spans
            .insert(child_path(&table.path, key), value.span());
        Some(value)
    }

    fn type_error(&mut self, table: &Table, key: &str, value: Value, expected: &str) {
        self.error(
            value.span(),
            format!(
                "`{}` must be {expected}, not {}",
                child_path(&table.path, key),
                a_type(value.get_ref())
            ),
        );
    }

    fn missing(&mut self, table: &Table, key: &str, example: &str) {
        self.error(
            table.span.clone(),
            format!(
                "{} is missing `{key}`: add `{key} = {example}`",
                describe_table(&table.path)
            ),
        );
    }

    fn string(&mut self, table: &mut Table, key: &'static str) -> Option<String> {
        let value = self.get(table, key)?;
        match value.get_ref() {
            DeValue::String(text) => {
                let text = text.trim();
                if text.is_empty() {
                    self.error(
                        value.span(),
                        format!(
                            "`{}` is empty: give it a value or remove the line",
                            child_path(&table.path, key)
                        ),
                    );
                    return None;
                }
                Some(text.to_owned())
            }
            _ => {
                self.type_error(table, key, value, "a string in quotes");
                None
            }
        }
    }

    fn required_string(
        &mut self,
        table: &mut Table,
        key: &'static str,
        example: &str,
    ) -> Option<String> {
        if !table.table.contains_key(key) {
            table.known.push(key);
            self.missing(table, key, example);
            return None;
        }
        self.string(table, key)
    }

    fn bool(&mut self, table: &mut Table, key: &'static str) -> Option<bool> {
        let value = self.get(table, key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.type_error(table, key, value, "true or false");
                None
            }
        }
    }

    fn u32(&mut self, table: &mut Table, key: &'static str, max: u32) -> Option<u32> {
        let value = self.get(table, key)?;
        let parsed = match value.get_ref() {
            DeValue::Integer(int) => int.as_str().replace('_', "").parse::<u32>().ok(),
            _ => {
                self.type_error(table, key, value, "a whole number");
                return None;
            }
        };
        match parsed {
            Some(n) if n <= max => Some(n),
            _ => {
                self.error(
                    value.span(),
                    format!(
                        "`{}` must be a whole number from 0 to {max}",
                        child_path(&table.path, key)
                    ),
                );
                None
            }
        }
    }

    fn strings(&mut self, table: &mut Table, key: &'static str) -> Option<Vec<String>> {
        let value = self.get(table, key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                table,
                key,
                value,
                "a list of strings, such as [\"a\", \"b\"]",
            );
            return None;
        };
        let path = child_path(&table.path, key);
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::String(text) if !text.trim().is_empty() => {
                    self.spans.insert(format!("{path}[{index}]"), item.span());
                    out.push(text.trim().to_owned());
                }
                DeValue::String(_) => {
                    self.error(item.span(), format!("`{path}[{index}]` is empty"))
                }
                other => self.error(
                    item.span(),
                    format!("`{path}` must hold only strings, not {}", a_type(other)),
                ),
            }
        }
        Some(out)
    }

    fn choice<T: Copy>(
        &mut self,
        table: &mut Table,
        key: &'static str,
        all: &[(&'static str, T)],
    ) -> Option<T> {
        let value = self.get(table, key)?;
        let DeValue::String(text) = value.get_ref() else {
            self.type_error(table, key, value, "a string in quotes");
            return None;
        };
        self.parse_choice(value.span(), &child_path(&table.path, key), text, all)
    }

    fn parse_choice<T: Copy>(
        &mut self,
        span: Range<usize>,
        path: &str,
        text: &str,
        all: &[(&'static str, T)],
    ) -> Option<T> {
        if let Some((_, found)) = all.iter().find(|(name, _)| *name == text.trim()) {
            return Some(*found);
        }
        let names: Vec<&str> = all.iter().map(|(name, _)| *name).collect();
        self.error(
            span,
            format!(
                "`{path}` cannot be \"{text}\": {}",
                suggestion(text, &names)
            ),
        );
        None
    }

    /// A promise: a duration in quotes, or a table `{ within = "...", starts = "..." }` or
    /// `{ untimed = true, says = "...", starts = "..." }`. `starts` is checked against what can
    /// start this promise; `default` applies when it is absent.
    fn promise(
        &mut self,
        table: &mut Table,
        key: &'static str,
        default: Start,
        starts: &[(&'static str, Start)],
    ) -> Option<Promise> {
        let value = self.get(table, key)?;
        let path = child_path(&table.path, key);
        match value.get_ref() {
            DeValue::String(_) => {
                let text = self.string(table, key)?;
                let target = self.target_text(&path, value.span(), &text, key)?;
                Some(Promise {
                    within: Within::Time(target),
                    starts: default,
                })
            }
            DeValue::Table(inner) => {
                let mut t = Table {
                    path: path.clone(),
                    table: inner,
                    span: value.span(),
                    known: Vec::new(),
                };
                let promise = self.promise_table(&mut t, default, starts);
                self.finish(t);
                promise
            }
            other => {
                self.error(
                    value.span(),
                    format!(
                        "`{path}` must be a duration in quotes or a table, not {}: write `{key} = \"48 hours\"`, `{key} = {{ within = \"1-2 weeks\", starts = \"{}\" }}`, or `{key} = {{ untimed = true, says = \"within a reasonable time\" }}` for a promise with no set time",
                        a_type(other),
                        default.name()
                    ),
                );
                None
            }
        }
    }

    fn promise_table(
        &mut self,
        t: &mut Table,
        default: Start,
        starts: &[(&'static str, Start)],
    ) -> Option<Promise> {
        let errors_before = self.diagnostics.len();
        let within_text = self.string(t, "within");
        let within_span = self.spans.get(&child_path(&t.path, "within"));
        let untimed = self.bool(t, "untimed").unwrap_or(false);
        let says = self.string(t, "says");
        let says_path = child_path(&t.path, "says");
        let starts_value = self.get(t, "starts");
        let start = match starts_value {
            None => Some(default),
            Some(value) => self.start(&t.path, value, starts),
        };
        // A key of the wrong type has said what is wrong; guessing at the rest would only add
        // noise.
        if self.diagnostics.len() > errors_before {
            return None;
        }
        let path = t.path.clone();
        let key = path.rsplit('.').next().unwrap_or(&path).to_owned();
        let within = match (within_text, untimed) {
            (Some(_), true) => {
                let span = self.spans.get(&child_path(&path, "untimed"));
                self.error(
                    span.unwrap_or(t.span.clone()),
                    format!("`{path}` gives a time in `within` and says `untimed = true`: remove one of them"),
                );
                return None;
            }
            (Some(text), false) => {
                let span = within_span.unwrap_or(t.span.clone());
                let target = self.target_text(&child_path(&path, "within"), span, &text, &key)?;
                if says.is_some() {
                    let span = self.spans.get(&says_path).unwrap_or(t.span.clone());
                    self.error(
                        span,
                        format!("`{says_path}` is for a promise with no set time; this one is rendered from `within`: remove `says`, or write `untimed = true` instead of `within`"),
                    );
                    return None;
                }
                Within::Time(target)
            }
            (None, true) => {
                if let Some(words) = &says
                    && words.chars().count() > PROMISE_WORDS_CHARS_MAX
                {
                    let span = self.spans.get(&says_path).unwrap_or(t.span.clone());
                    self.error(
                        span,
                        format!("`{says_path}` is longer than {PROMISE_WORDS_CHARS_MAX} characters: it completes one sentence, such as \"within a reasonable time\"; say more in a [[sections]] entry"),
                    );
                    return None;
                }
                Within::Untimed(says.map(|w| one_line(&w)))
            }
            (None, false) => {
                let hint = match &says {
                    Some(words) => format!(
                        "add `untimed = true` to keep \"{}\" as a promise with no set time, or give the time as `within = \"48 hours\"`",
                        one_line(words)
                    ),
                    None => "add `within = \"48 hours\"`, or `untimed = true` (and `says = \"within a reasonable time\"`) for a promise with no set time".to_owned(),
                };
                self.error(t.span.clone(), format!("`{path}` has no time: {hint}"));
                return None;
            }
        };
        Some(Promise {
            within,
            starts: start?,
        })
    }

    fn start(
        &mut self,
        path: &str,
        value: Value,
        allowed: &[(&'static str, Start)],
    ) -> Option<Start> {
        let starts_path = child_path(path, "starts");
        let DeValue::String(text) = value.get_ref() else {
            self.error(
                value.span(),
                format!(
                    "`{starts_path}` must be a string in quotes, not {}",
                    a_type(value.get_ref())
                ),
            );
            return None;
        };
        let start = self.parse_choice(value.span(), &starts_path, text, &Start::ALL)?;
        if allowed.iter().any(|(_, s)| *s == start) {
            return Some(start);
        }
        let names: Vec<String> = allowed.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        let why = match start {
            Start::Acknowledgement => "acknowledging keeps this promise, so it cannot start it",
            Start::Triage => "accepting a report keeps this promise, so it cannot start it",
            Start::Receipt => "this promise is counted from a later event",
        };
        self.error(
            value.span(),
            format!(
                "`{starts_path}` cannot be \"{}\": {why}; write {}",
                start.name(),
                names.join(" or ")
            ),
        );
        None
    }

    /// Parses the text of a promised time; a text that is no duration is answered with both
    /// ways of writing a promise with no set time.
    fn target_text(
        &mut self,
        path: &str,
        span: Range<usize>,
        text: &str,
        key: &str,
    ) -> Option<Target> {
        match parse_target(text) {
            Ok(target) => Some(target),
            Err(message) => {
                // The author's own words make the best example, unless they were a botched
                // duration.
                let words = if text.bytes().any(|b| b.is_ascii_digit()) {
                    "within a reasonable time".to_owned()
                } else {
                    one_line(text)
                };
                self.error(
                    span,
                    format!(
                        "`{path}`: {message}; a promise with no set time is written `{key} = {{ untimed = true, says = {words:?} }}` (it runs as a clock that shows its age), or as words in `response.promises` (not tracked)"
                    ),
                );
                None
            }
        }
    }

    fn time_span(&mut self, table: &mut Table, key: &'static str) -> Option<TimeSpan> {
        let text = self.string(table, key)?;
        let path = child_path(&table.path, key);
        match parse_time_span(&text) {
            Ok(span) => Some(span),
            Err(message) => {
                let span = self.spans.get(&path).unwrap_or(table.span.clone());
                self.error(span, format!("`{path}`: {message}"));
                None
            }
        }
    }

    fn date_value(&mut self, path: &str, value: Value) -> Option<Date> {
        let parsed = match value.get_ref() {
            DeValue::Datetime(dt) if dt.date.is_some() && dt.time.is_none() => {
                dt.to_string().parse::<Date>().ok()
            }
            DeValue::String(text) => text.trim().parse::<Date>().ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                value.span(),
                format!("`{path}` must be a date such as 2026-12-25 (no quotes, no time)"),
            );
        }
        parsed
    }

    fn date(&mut self, table: &mut Table, key: &'static str) -> Option<Date> {
        let value = self.get(table, key)?;
        self.date_value(&child_path(&table.path, key), value)
    }

    fn dates(&mut self, table: &mut Table, key: &'static str) -> Vec<Date> {
        let Some(value) = self.get(table, key) else {
            return Vec::new();
        };
        let path = child_path(&table.path, key);
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                table,
                key,
                value,
                "a list of dates, such as [2026-12-25, 2027-01-01]",
            );
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                self.spans.insert(format!("{path}[{index}]"), item.span());
                self.date_value(&path, item)
            })
            .collect()
    }

    fn expiry(&mut self, table: &mut Table, key: &'static str) -> Option<Expiry> {
        let value = self.get(table, key)?;
        let path = child_path(&table.path, key);
        let help = "write a moment such as 2027-06-30T00:00:00Z, or a rolling period such as \"180 days\" that the server renews";
        match value.get_ref() {
            DeValue::Datetime(dt) => {
                let text = dt.to_string();
                let parsed = if dt.offset.is_some() {
                    text.parse::<Timestamp>().ok()
                } else if dt.time.is_none() {
                    text.parse::<Date>()
                        .ok()
                        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
                        .map(|z| z.timestamp())
                } else {
                    self.error(
                        value.span(),
                        format!("`{path}` has no time zone offset: end it with Z for UTC; {help}"),
                    );
                    return None;
                };
                if parsed.is_none() {
                    self.error(
                        value.span(),
                        format!("`{path}` is not a valid moment; {help}"),
                    );
                }
                parsed.map(Expiry::At)
            }
            DeValue::String(text) => match parse_time_span(text) {
                Ok(span) => Some(Expiry::Rolling(span)),
                Err(_) => {
                    self.error(
                        value.span(),
                        format!("`{path}` cannot be \"{text}\"; {help}"),
                    );
                    None
                }
            },
            other => {
                self.error(
                    value.span(),
                    format!(
                        "`{path}` must be a moment or a duration, not {}; {help}",
                        a_type(other)
                    ),
                );
                None
            }
        }
    }

    fn table<'a, 'i>(
        &mut self,
        parent: &mut Table<'a, 'i>,
        key: &'static str,
    ) -> Option<Table<'a, 'i>> {
        let value = self.get(parent, key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(Table {
                path: child_path(&parent.path, key),
                table,
                span: value.span(),
                known: Vec::new(),
            }),
            _ => {
                self.type_error(
                    parent,
                    key,
                    value,
                    &format!("a table, written [{}]", child_path(&parent.path, key)),
                );
                None
            }
        }
    }

    fn tables<'a, 'i>(
        &mut self,
        parent: &mut Table<'a, 'i>,
        key: &'static str,
    ) -> Vec<Table<'a, 'i>> {
        let Some(value) = self.get(parent, key) else {
            return Vec::new();
        };
        let path = child_path(&parent.path, key);
        let DeValue::Array(items) = value.get_ref() else {
            self.type_error(
                parent,
                key,
                value,
                &format!("a list of tables, each written [[{path}]]"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{index}]");
            self.spans.insert(item_path.clone(), item.span());
            match item.get_ref() {
                DeValue::Table(table) => out.push(Table {
                    path: item_path,
                    table,
                    span: item.span(),
                    known: Vec::new(),
                }),
                other => self.error(
                    item.span(),
                    format!(
                        "`{item_path}` must be a table, written [[{path}]], not {}",
                        a_type(other)
                    ),
                ),
            }
        }
        out
    }

    /// Reports keys nobody asked for, with the closest known key.
    fn finish(&mut self, table: Table) {
        for (key, value) in table.table.iter() {
            if table.known.contains(&key.get_ref().as_ref()) {
                continue;
            }
            let name = key.get_ref();
            let hint = suggestion(name, &table.known);
            let _ = value;
            self.error(
                key.span(),
                format!(
                    "unknown key `{name}` in {}: {hint}",
                    describe_table(&table.path)
                ),
            );
        }
    }
}

fn a_type(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true/false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

/// Derives a slug from a project name: "Linly-Talker" becomes "linly-talker".
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-')
        .chars()
        .take(SLUG_CHARS_MAX)
        .collect()
}

/// Longest slug, so that URLs and ids stay short.
pub const SLUG_CHARS_MAX: usize = 64;

/// Decodes a whole document; structural errors land in `decoder.diagnostics`.
pub(crate) fn decode(decoder: &mut Decoder, root: &Spanned<DeTable>) -> Option<Policy> {
    let mut top = Table {
        path: String::new(),
        table: root.get_ref(),
        span: root.span(),
        known: Vec::new(),
    };
    let errors_before = decoder.diagnostics.len();

    let project = match decoder.table(&mut top, "project") {
        Some(table) => decode_project(decoder, table),
        None => {
            top.known.push("project");
            decoder.diagnostics.push(Diagnostic::error(
                Some(0..0),
                "the policy has no [project] table: start the file with [project] and name = \"Your project\"",
            ));
            None
        }
    };
    let products = decoder
        .tables(&mut top, "products")
        .into_iter()
        .filter_map(|t| decode_product(decoder, t))
        .collect();
    let supported_versions = decoder
        .tables(&mut top, "supported_versions")
        .into_iter()
        .filter_map(|t| decode_supported_version(decoder, t))
        .collect();
    let channels = decoder
        .tables(&mut top, "channels")
        .into_iter()
        .filter_map(|t| decode_channel(decoder, t))
        .collect();
    let form = match decoder.table(&mut top, "form") {
        Some(t) => decode_form(decoder, t),
        None => ReportForm {
            fields: standard_fields(),
            example: None,
        },
    };
    let response = match decoder.table(&mut top, "response") {
        Some(t) => decode_response(decoder, t),
        None => ResponseTargets {
            time_zone: "UTC".into(),
            holidays: Vec::new(),
            acknowledge: None,
            assess: None,
            plan: None,
            update_interval: None,
            promises: Vec::new(),
        },
    };
    let severity = match decoder.table(&mut top, "severity") {
        Some(t) => decode_severity(decoder, t),
        None => Vec::new(),
    };
    let scope = match decoder.table(&mut top, "scope") {
        Some(mut t) => {
            let in_scope = decode_scope_items(decoder, &mut t, "in");
            let out_of_scope = decode_scope_items(decoder, &mut t, "out");
            decoder.finish(t);
            Scope {
                in_scope,
                out_of_scope,
            }
        }
        None => Scope {
            in_scope: Vec::new(),
            out_of_scope: Vec::new(),
        },
    };
    let disclosure = {
        let t = decoder_table_or_empty(decoder, &mut top, "disclosure");
        decode_disclosure(decoder, t)
    };
    let credit = {
        let t = decoder_table_or_empty(decoder, &mut top, "credit");
        decode_credit(decoder, t)
    };
    let encryption = decoder
        .tables(&mut top, "encryption")
        .into_iter()
        .filter_map(|t| decode_key(decoder, t))
        .collect();
    let updates = {
        let t = decoder_table_or_empty(decoder, &mut top, "updates");
        decode_updates(decoder, t)
    };
    let terms = {
        let t = decoder_table_or_empty(decoder, &mut top, "policy");
        decode_terms(decoder, t)
    };
    let security_txt = {
        let t = decoder_table_or_empty(decoder, &mut top, "security_txt");
        decode_security_txt(decoder, t)
    };
    let sections = decoder
        .tables(&mut top, "sections")
        .into_iter()
        .filter_map(|mut t| {
            let title = decoder.required_string(&mut t, "title", "\"Security practices\"");
            let body = decoder.required_string(&mut t, "body", "\"\"\"Markdown text\"\"\"");
            decoder.finish(t);
            Some(Section {
                title: title?,
                body: body?,
            })
        })
        .collect();
    let privacy = decoder.table(&mut top, "privacy").map(|mut t| {
        let privacy = Privacy {
            contact_kept: decoder.time_span(&mut t, "contact_kept"),
            contents_kept: decoder.time_span(&mut t, "contents_kept"),
            contents_kept_after: decoder
                .choice(&mut t, "contents_kept_after", &KeptAfter::ALL)
                .unwrap_or(KeptAfter::Closure),
            ip_addresses: decoder.bool(&mut t, "ip_addresses").unwrap_or(false),
        };
        decoder.finish(t);
        privacy
    });
    decoder.finish(top);

    if decoder.diagnostics.len() > errors_before {
        return None;
    }
    Some(Policy {
        project: project?,
        products,
        supported_versions,
        channels,
        form,
        response,
        severity,
        scope,
        disclosure,
        credit,
        encryption,
        updates,
        terms: terms?,
        security_txt,
        sections,
        privacy,
    })
}

static EMPTY_TABLE: std::sync::LazyLock<DeTable<'static>> = std::sync::LazyLock::new(DeTable::new);

/// An optional table, or an empty one so that its defaults apply.
fn decoder_table_or_empty<'a, 'i>(
    decoder: &mut Decoder,
    top: &mut Table<'a, 'i>,
    key: &'static str,
) -> Table<'a, 'i> {
    decoder.table(top, key).unwrap_or_else(|| Table {
        path: key.to_owned(),
        table: &EMPTY_TABLE,
        span: top.span.start..top.span.start,
        known: Vec::new(),
    })
}

fn decode_project(decoder: &mut Decoder, mut t: Table) -> Option<Project> {
    let name = decoder.required_string(&mut t, "name", "\"Your project\"");
    let slug = decoder.string(&mut t, "slug");
    let description = decoder.string(&mut t, "description");
    let homepage = decoder.string(&mut t, "homepage");
    let repository = decoder.string(&mut t, "repository");
    let advisory_prefix = decoder.string(&mut t, "advisory_prefix");
    decoder.finish(t);
    let name = name?;
    let slug = slug.unwrap_or_else(|| slugify(&name));
    let advisory_prefix =
        advisory_prefix.unwrap_or_else(|| slug.to_ascii_uppercase().chars().take(16).collect());
    Some(Project {
        name,
        slug,
        description,
        homepage,
        repository,
        advisory_prefix,
    })
}

fn decode_product(decoder: &mut Decoder, mut t: Table) -> Option<Product> {
    let name = decoder.required_string(&mut t, "name", "\"your-package\"");
    let ecosystem = decoder.string(&mut t, "ecosystem");
    let package = decoder.string(&mut t, "package");
    let repository = decoder.string(&mut t, "repository");
    decoder.finish(t);
    Some(Product {
        name: name?,
        ecosystem,
        package,
        repository,
    })
}

fn decode_supported_version(decoder: &mut Decoder, mut t: Table) -> Option<SupportedVersion> {
    let versions = decoder.required_string(&mut t, "versions", "\"1.2.x\"");
    let supported = decoder.bool(&mut t, "supported");
    if !t.table.contains_key("supported") {
        decoder.missing(&t, "supported", "true");
    }
    let end_of_support = decoder.date(&mut t, "end_of_support");
    let note = decoder.string(&mut t, "note");
    decoder.finish(t);
    Some(SupportedVersion {
        versions: versions?,
        supported: supported?,
        end_of_support,
        note,
    })
}

fn decode_channel(decoder: &mut Decoder, mut t: Table) -> Option<Channel> {
    let kind = decoder.choice(&mut t, "kind", &ChannelKind::ALL);
    if !t.table.contains_key("kind") {
        decoder.missing(&t, "kind", "\"email\"");
    }
    let channel = Channel {
        kind: kind.unwrap_or(ChannelKind::Email),
        label: decoder.string(&mut t, "label"),
        email: decoder.string(&mut t, "email"),
        url: decoder.string(&mut t, "url"),
        phone: decoder.string(&mut t, "phone"),
        platform: decoder.string(&mut t, "platform"),
        handle: decoder.string(&mut t, "handle"),
        preferred: decoder.bool(&mut t, "preferred").unwrap_or(false),
        note: decoder.string(&mut t, "note"),
    };
    let needs = match channel.kind {
        ChannelKind::Email => Some(("email", "\"security@example.org\"", channel.email.is_some())),
        ChannelKind::Phone => Some(("phone", "\"+1 555 0100\"", channel.phone.is_some())),
        ChannelKind::Chat => Some((
            "url` or `handle",
            "\"https://...\"` or `handle = \"@security\"",
            channel.url.is_some() || channel.handle.is_some(),
        )),
        ChannelKind::WebForm
        | ChannelKind::GithubAdvisories
        | ChannelKind::IssueTracker
        | ChannelKind::PullRequest => None,
    };
    // A kind that did not parse has its own error; what another kind would need is beside it.
    if let (Some(_), Some((key, example, false))) = (kind, needs) {
        let first = key.split('`').next().unwrap_or(key);
        decoder.error(
            t.span.clone(),
            format!(
                "{} is missing `{key}`: add `{first} = {example}`",
                describe_table(&t.path)
            ),
        );
    }
    decoder.finish(t);
    kind.map(|_| channel)
}

fn decode_form(decoder: &mut Decoder, mut t: Table) -> ReportForm {
    let template = decoder.choice(&mut t, "template", &[("standard", true), ("none", false)]);
    let mut fields = if template.unwrap_or(true) {
        standard_fields()
    } else {
        Vec::new()
    };
    for mut field in decoder.tables(&mut t, "fields") {
        let Some(id) = decoder.required_string(&mut field, "id", "\"affected_component\"") else {
            decoder.finish(field);
            continue;
        };
        let existing = fields.iter().position(|f| f.id == id);
        let base = existing.map(|i| fields[i].clone());
        let label = decoder.string(&mut field, "label");
        if label.is_none() && base.is_none() {
            decoder.missing(&field, "label", "\"What the reporter sees\"");
        }
        let help = decoder.string(&mut field, "help");
        let required = decoder.bool(&mut field, "required");
        let kind = decoder.choice(&mut field, "kind", &FieldKind::ALL);
        let omit = decoder.bool(&mut field, "omit").unwrap_or(false);
        decoder.finish(field);
        let new = FormField {
            label: label
                .or_else(|| base.as_ref().map(|b| b.label.clone()))
                .unwrap_or_default(),
            help: help.or_else(|| base.as_ref().and_then(|b| b.help.clone())),
            required: required
                .or_else(|| base.as_ref().map(|b| b.required))
                .unwrap_or(false),
            kind: kind
                .or_else(|| base.as_ref().map(|b| b.kind))
                .unwrap_or(FieldKind::Text),
            id,
        };
        match (existing, omit) {
            (Some(i), true) => {
                fields.remove(i);
            }
            (Some(i), false) => fields[i] = new,
            (None, false) => fields.push(new),
            (None, true) => {}
        }
    }
    let example = decoder.string(&mut t, "example");
    decoder.finish(t);
    ReportForm { fields, example }
}

fn decode_response(decoder: &mut Decoder, mut t: Table) -> ResponseTargets {
    let targets = ResponseTargets {
        time_zone: decoder
            .string(&mut t, "time_zone")
            .unwrap_or_else(|| "UTC".into()),
        holidays: decoder.dates(&mut t, "holidays"),
        acknowledge: decoder.promise(&mut t, "acknowledge", Start::Receipt, &ACKNOWLEDGE_STARTS),
        assess: decoder.promise(&mut t, "assess", Start::Receipt, &ASSESS_STARTS),
        plan: decoder.promise(&mut t, "plan", Start::Receipt, &Start::ALL),
        update_interval: decoder.promise(&mut t, "update_interval", Start::Receipt, &Start::ALL),
        promises: decoder.strings(&mut t, "promises").unwrap_or_default(),
    };
    decoder.finish(t);
    targets
}

fn decode_severity(decoder: &mut Decoder, mut t: Table) -> Vec<SeverityDeadlines> {
    let mut out = Vec::new();
    for (name, severity) in Severity::ALL {
        let Some(mut level) = decoder.table(&mut t, name) else {
            continue;
        };
        let deadlines = SeverityDeadlines {
            severity,
            fix: decoder.promise(&mut level, "fix", Start::Triage, &Start::ALL),
            release: decoder.promise(&mut level, "release", Start::Triage, &Start::ALL),
            disclose: decoder.promise(&mut level, "disclose", Start::Triage, &Start::ALL),
        };
        decoder.finish(level);
        out.push(deadlines);
    }
    decoder.finish(t);
    out
}

fn decode_scope_items(decoder: &mut Decoder, t: &mut Table, key: &'static str) -> Vec<ScopeItem> {
    decoder
        .tables(t, key)
        .into_iter()
        .filter_map(|mut item| {
            let category = decoder.required_string(&mut item, "category", "\"rce\"");
            let title = decoder.required_string(&mut item, "title", "\"Remote code execution\"");
            let explanation = decoder.string(&mut item, "explanation");
            decoder.finish(item);
            Some(ScopeItem {
                category: category?,
                title: title?,
                explanation,
            })
        })
        .collect()
}

fn decode_disclosure(decoder: &mut Decoder, mut t: Table) -> Disclosure {
    let disclosure = Disclosure {
        coordinated: decoder.bool(&mut t, "coordinated"),
        default_embargo: decoder.time_span(&mut t, "default_embargo"),
        max_embargo: decoder.time_span(&mut t, "max_embargo"),
        reporter_timeline: decoder.bool(&mut t, "reporter_timeline"),
        advisories: decoder.strings(&mut t, "advisories").unwrap_or_default(),
        request: decoder.string(&mut t, "request"),
    };
    decoder.finish(t);
    disclosure
}

fn decode_credit(decoder: &mut Decoder, mut t: Table) -> Credit {
    let offered = decoder.bool(&mut t, "offered").unwrap_or(true);
    let places = match decoder.strings(&mut t, "places") {
        Some(names) => {
            let path = child_path(&t.path, "places");
            names
                .iter()
                .enumerate()
                .filter_map(|(index, name)| {
                    let span = decoder
                        .spans
                        .get(&format!("{path}[{index}]"))
                        .unwrap_or(0..0);
                    decoder.parse_choice(span, &path, name, &CreditPlace::ALL)
                })
                .collect()
        }
        None if offered => vec![CreditPlace::Advisories],
        None => Vec::new(),
    };
    let credit = Credit {
        offered,
        places,
        anonymity: decoder.bool(&mut t, "anonymity").unwrap_or(true),
        hall_of_fame_url: decoder.string(&mut t, "hall_of_fame_url"),
    };
    decoder.finish(t);
    credit
}

fn decode_key(decoder: &mut Decoder, mut t: Table) -> Option<EncryptionKey> {
    let kind = decoder.choice(
        &mut t,
        "kind",
        &[("openpgp", KeyKind::Openpgp), ("age", KeyKind::Age)],
    );
    if !t.table.contains_key("kind") {
        decoder.missing(&t, "kind", "\"openpgp\"");
    }
    let key = EncryptionKey {
        kind: kind.unwrap_or(KeyKind::Openpgp),
        url: decoder.string(&mut t, "url"),
        fingerprint: decoder.string(&mut t, "fingerprint"),
        key: decoder.string(&mut t, "key"),
    };
    if key.url.is_none() && key.key.is_none() && key.fingerprint.is_none() {
        let path = describe_table(&t.path);
        decoder.error(
            t.span.clone(),
            format!(
                "{path} is missing `url`: add `url = \"https://example.org/security.asc\"`, or the key itself as `key = \"...\"`, or an OpenPGP `fingerprint = \"...\"`"
            ),
        );
    }
    decoder.finish(t);
    kind.map(|_| key)
}

fn decode_updates(decoder: &mut Decoder, mut t: Table) -> Updates {
    let channels = decoder
        .tables(&mut t, "channels")
        .into_iter()
        .filter_map(|mut c| {
            let kind = decoder.choice(&mut c, "kind", &UpdateKind::ALL);
            if !c.table.contains_key("kind") {
                decoder.missing(&c, "kind", "\"advisories\"");
            }
            let label = decoder.string(&mut c, "label");
            let url = decoder.string(&mut c, "url");
            decoder.finish(c);
            Some(UpdateChannel {
                kind: kind?,
                label,
                url,
            })
        })
        .collect();
    let early_access = decoder.table(&mut t, "early_access").map(|mut e| {
        let access = EarlyAccess {
            who: decoder.strings(&mut e, "who").unwrap_or_default(),
            days_before: decoder.u32(&mut e, "days_before", 90),
        };
        decoder.finish(e);
        access
    });
    decoder.finish(t);
    Updates {
        channels,
        early_access,
    }
}

/// Expiry when a policy names none: renewed on every rendering, well inside RFC 9116's year.
pub const EXPIRY_ROLLING_DEFAULT: TimeSpan = TimeSpan {
    amount: 180,
    unit: super::time_span::Unit::Days,
};

fn decode_terms(decoder: &mut Decoder, mut t: Table) -> Option<Terms> {
    let expires = decoder.expiry(&mut t, "expires").or_else(|| {
        (!t.table.contains_key("expires")).then_some(Expiry::Rolling(EXPIRY_ROLLING_DEFAULT))
    });
    let languages = decoder.strings(&mut t, "languages").unwrap_or_default();
    let safe_harbour = decoder.string(&mut t, "safe_harbour");
    decoder.finish(t);
    Some(Terms {
        expires: expires?,
        languages,
        safe_harbour,
    })
}

fn decode_security_txt(decoder: &mut Decoder, mut t: Table) -> SecurityTxtLinks {
    let links = SecurityTxtLinks {
        canonical: decoder.strings(&mut t, "canonical").unwrap_or_default(),
        policy: decoder.string(&mut t, "policy"),
        acknowledgments: decoder.string(&mut t, "acknowledgments"),
        hiring: decoder.string(&mut t, "hiring"),
        csaf: decoder.string(&mut t, "csaf"),
    };
    decoder.finish(t);
    links
}
