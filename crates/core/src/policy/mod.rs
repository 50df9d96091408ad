//! A project's security policy as code: the model, its parser, its checks.
//!
//! `parse` is the one way in: bytes from a policy file become either a `Policy` that every later
//! part can trust, or located diagnostics that say what to write instead.

mod check;
mod decode;
pub mod diagnostic;
mod model;
pub mod time_span;

pub use check::{FORM_FIELDS_MAX, check_email, check_https_url};
pub use decode::{EXPIRY_ROLLING_DEFAULT, SLUG_CHARS_MAX, slugify};
pub use diagnostic::{Diagnostic, Level, Position, SpanMap};
pub use model::*;
pub use time_span::{Target, TimeSpan, Unit, parse_time_span};

use jiff::Timestamp;

/// Largest policy file accepted. Real policies are a few kilobytes; anything near this is a
/// mistake (or an attack on the parser).
pub const POLICY_BYTES_MAX: usize = 1024 * 1024;

/// What checking a policy found: the policy when it has no errors, and every finding.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Present exactly when no diagnostic is an error.
    pub policy: Option<Policy>,
    /// Errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    fn failed(diagnostic: Diagnostic) -> Checked {
        Checked {
            policy: None,
            diagnostics: vec![diagnostic],
        }
    }
}

/// Parses and checks a policy file's bytes. `now` decides whether a fixed expiry has passed.
pub fn parse(bytes: &[u8], now: Timestamp) -> Checked {
    if bytes.len() > POLICY_BYTES_MAX {
        return Checked::failed(Diagnostic::error(
            Some(0..0),
            format!(
                "the file is larger than the {POLICY_BYTES_MAX} bytes a policy may have; is this the right file?"
            ),
        ));
    }
    let source = match std::str::from_utf8(bytes) {
        Ok(source) => source,
        Err(error) => {
            let valid = error.valid_up_to();
            // Display positions against `String::from_utf8_lossy(bytes)`: its prefix up to
            // `valid` is the same text, so the line and column are right.
            return Checked::failed(Diagnostic::error(
                Some(valid..valid),
                format!(
                    "the file is not UTF-8 text (byte 0x{:02X} here); save it as UTF-8",
                    bytes[valid]
                ),
            ));
        }
    };
    parse_str(source, now)
}

/// Parses and checks policy text.
pub fn parse_str(source: &str, now: Timestamp) -> Checked {
    if source.trim().is_empty() {
        return Checked::failed(Diagnostic::error(
            Some(0..0),
            "the policy file is empty: run `postern init` to write a starter policy",
        ));
    }
    let (root, syntax_errors) = toml::de::DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        let diagnostics = syntax_errors
            .iter()
            .map(|e| {
                Diagnostic::error(
                    e.span(),
                    format!("this is not valid TOML: {}", first_line(e.message())),
                )
            })
            .collect();
        return Checked {
            policy: None,
            diagnostics,
        };
    }
    let mut decoder = decode::Decoder::new();
    let policy = decode::decode(&mut decoder, &root);
    let mut diagnostics = decoder.diagnostics;
    let policy = policy.filter(|_| diagnostics.is_empty());
    if let Some(policy) = &policy {
        diagnostics.extend(check::check(policy, &decoder.spans, now));
    }
    diagnostics.sort_by_key(|d| (d.span.as_ref().map_or(0, |s| s.start), d.level));
    let has_errors = diagnostics.iter().any(|d| d.level == Level::Error);
    Checked {
        policy: policy.filter(|_| !has_errors),
        diagnostics,
    }
}

/// Text on one line, runs of white space as one space: for a value in a sentence, a heading or
/// a line of security.txt.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or(message).trim()
}

/// The report template the seeds share: what every good SECURITY.md asks a reporter for.
pub fn standard_fields() -> Vec<FormField> {
    let field = |id: &str, label: &str, help: &str, required: bool, kind: FieldKind| FormField {
        id: id.to_owned(),
        label: label.to_owned(),
        help: Some(help.to_owned()),
        required,
        kind,
    };
    vec![
        field(
            "title",
            "Title",
            "A one-line summary of the vulnerability.",
            true,
            FieldKind::Line,
        ),
        field(
            "description",
            "Description",
            "A clear description of the vulnerability.",
            true,
            FieldKind::Text,
        ),
        field(
            "impact",
            "Impact",
            "What an attacker could do by exploiting it.",
            true,
            FieldKind::Text,
        ),
        field(
            "steps_to_reproduce",
            "Steps to reproduce",
            "Detailed steps to reproduce the issue.",
            true,
            FieldKind::Text,
        ),
        field(
            "proof_of_concept",
            "Proof of concept",
            "Code, commands or a request that demonstrates the issue, if you have one.",
            false,
            FieldKind::Text,
        ),
        field(
            "affected_version",
            "Affected version",
            "The version where you found the issue.",
            false,
            FieldKind::Version,
        ),
        field(
            "environment",
            "Environment",
            "Operating system, configuration and anything else relevant.",
            false,
            FieldKind::Text,
        ),
        field(
            "suggested_fix",
            "Suggested fix",
            "How you would fix it, if you have an idea.",
            false,
            FieldKind::Text,
        ),
        field(
            "disclosure_timeline",
            "Disclosure timeline",
            "Any constraints or wishes for the disclosure date.",
            false,
            FieldKind::Text,
        ),
    ]
}
