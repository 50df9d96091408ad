//! What every way in shares when something arrives from a reporter: the limits on attachments
//! and their hygiene (a file name safe to show, a content type kept only when well formed), and
//! the deadlines the policy promises the reporter.

use jiff::{SignedDuration, Timestamp};
use postern_core::case::Case;
use postern_core::clock::{ClockKind, Clocks, Outcome};
use postern_core::intake::FieldError;
use postern_core::policy::{Policy, Start};
use postern_store::{ATTACHMENT_BYTES_MAX, ATTACHMENT_NAME_CHARS_MAX, NewAttachment};

/// Most attachments in one submission or one later addition.
pub const ATTACHMENTS_PER_REQUEST_MAX: usize = 4;

/// A file as it arrived, before its limits and hygiene.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the sender gave.
    pub filename: String,
    /// The content type the sender declared.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Checks the count and sizes of uploads and cleans them; each error names the attachment
/// (`attachments[i]`) and says what to do.
pub fn attachments(uploads: Vec<Upload>) -> Result<Vec<NewAttachment>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if uploads.len() > ATTACHMENTS_PER_REQUEST_MAX {
        errors.push(FieldError {
            field: "attachments".into(),
            message: format!(
                "attach at most {ATTACHMENTS_PER_REQUEST_MAX} files at once; add more later from the tracking page"
            ),
        });
    }
    let mut kept = Vec::new();
    for (i, upload) in uploads.into_iter().enumerate() {
        if upload.bytes.len() > ATTACHMENT_BYTES_MAX {
            errors.push(FieldError {
                field: format!("attachments[{i}]"),
                message: format!(
                    "{} is larger than the {} MiB limit",
                    clean_filename(&upload.filename),
                    ATTACHMENT_BYTES_MAX / 1024 / 1024
                ),
            });
            continue;
        }
        kept.push(attachment(
            &upload.filename,
            upload.content_type.as_deref(),
            upload.bytes,
        ));
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

/// Whether a character reorders the text around it (bidirectional embeddings, overrides and
/// isolates): in a file name it makes `evil\u{202e}gnp.exe` read as "evilexe.png".
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A file name safe to show and to offer for download: no directories, no control characters,
/// no bidirectional controls, no quotes, bounded length.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c) && !matches!(c, '"' | '\'' | ';'))
        .take(ATTACHMENT_NAME_CHARS_MAX)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "attachment".to_owned()
    } else {
        cleaned
    }
}

/// A declared content type, kept only if it looks like `type/subtype`.
pub fn clean_content_type(declared: Option<&str>) -> String {
    let declared = declared.unwrap_or_default().trim();
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match declared.split_once('/') {
        Some((a, b)) if token(a) && token(b.split(';').next().unwrap_or_default().trim()) => {
            declared
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        }
        _ => "application/octet-stream".to_owned(),
    }
}

/// Builds an attachment from submitted parts.
pub fn attachment(name: &str, content_type: Option<&str>, bytes: Vec<u8>) -> NewAttachment {
    NewAttachment {
        filename: clean_filename(name),
        content_type: clean_content_type(content_type),
        bytes,
    }
}

/// A promise the policy made the reporter, as their report's clock stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromisedDeadline {
    /// Stable name: acknowledge, assess, plan, fix, release, disclose.
    pub kind: &'static str,
    /// What the team will do.
    pub what: &'static str,
    /// The policy's words for the time: "48 hours", "1-2 weeks", "within a reasonable time".
    pub promised: String,
    /// The event it is counted from.
    pub starts: Start,
    /// When that event happened: the clock's start.
    pub started_at: Timestamp,
    /// What the team aims for; `None` for a promise with no set time.
    pub target: Option<Timestamp>,
    /// The limit promised; `None` for a promise with no set time.
    pub due: Option<Timestamp>,
    /// `None` while it runs; "met", "missed" or "kept" (an untimed promise) once resolved.
    pub outcome: Option<&'static str>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
}

impl PromisedDeadline {
    /// How long it has run at `now` (or ran, once resolved): what an untimed promise is shown
    /// with.
    pub fn age(&self, now: Timestamp) -> SignedDuration {
        self.resolved_at
            .unwrap_or(now)
            .duration_since(self.started_at)
            .max(SignedDuration::ZERO)
    }
}

/// The deadlines that concern the reporter: the report's clocks, latest of each kind. A report
/// stored before clocks existed gets its response deadlines computed from the policy.
pub fn reporter_deadlines(
    clocks: &Clocks,
    policy: &Policy,
    received_at: Timestamp,
) -> Vec<PromisedDeadline> {
    let clocks = if clocks.0.is_empty() {
        Case::received(policy, received_at).clocks
    } else {
        clocks.clone()
    };
    clocks
        .current()
        .into_iter()
        .filter(|c| c.kind.concerns_reporter() && c.outcome != Some(Outcome::Cancelled))
        .map(|c| PromisedDeadline {
            kind: c.kind.name(),
            what: match c.kind {
                ClockKind::Acknowledge => "acknowledge your report",
                ClockKind::Assess => "give an initial assessment",
                ClockKind::Plan => "send a detailed plan",
                other => other.describe(),
            },
            promised: c.promised.clone(),
            starts: c.starts(),
            started_at: c.started_at,
            target: c.target_at(),
            due: c.limit_at(),
            outcome: c.outcome.map(Outcome::name),
            resolved_at: c.resolved_at,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_tricks() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\x\\poc.py"), "poc.py");
        assert_eq!(
            clean_filename("a\"; filename=evil.html"),
            "a filename=evil.html"
        );
        assert_eq!(clean_filename(".."), "attachment");
        assert_eq!(clean_filename("\u{0000}\n"), "attachment");
        assert_eq!(
            clean_filename(&"x".repeat(500)).len(),
            ATTACHMENT_NAME_CHARS_MAX
        );
    }

    #[test]
    fn content_types_are_kept_only_when_well_formed() {
        assert_eq!(
            clean_content_type(Some("Text/Plain; charset=utf-8")),
            "text/plain"
        );
        assert_eq!(
            clean_content_type(Some("text/html\r\nX: y")),
            "application/octet-stream"
        );
        assert_eq!(clean_content_type(None), "application/octet-stream");
    }

    #[test]
    fn bidirectional_controls_cannot_disguise_a_file_name() {
        assert_eq!(clean_filename("evil\u{202E}gnp.exe"), "evilgnp.exe");
        assert_eq!(clean_filename("a\u{2066}b\u{2069}c\u{202A}.txt"), "abc.txt");
        assert_eq!(clean_filename("\u{202E}"), "attachment");
        assert_eq!(
            clean_filename("résumé.pdf"),
            "résumé.pdf",
            "other text is kept"
        );
    }

    #[test]
    fn uploads_are_counted_sized_and_cleaned_with_every_error_at_once() {
        let file = |name: &str, bytes: usize| Upload {
            filename: name.into(),
            content_type: Some("text/plain".into()),
            bytes: vec![b'x'; bytes],
        };
        let ok = attachments(vec![file("../poc.py", 10)]).unwrap();
        assert_eq!(ok[0].filename, "poc.py");
        let mut many: Vec<Upload> = (0..ATTACHMENTS_PER_REQUEST_MAX + 1)
            .map(|i| file(&format!("{i}.txt"), 1))
            .collect();
        many[1] = file("big.bin", ATTACHMENT_BYTES_MAX + 1);
        let errors = attachments(many).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["attachments", "attachments[1]"]);
        assert!(errors[1].message.contains("big.bin"), "{errors:?}");
        assert!(attachments(vec![file("edge", ATTACHMENT_BYTES_MAX)]).is_ok());
    }
}
