//! What a sender's text loses before the team sees it: line breaks in one-line fields (header
//! injection), control characters (terminal escapes), bidi controls (text that reads
//! differently than it is, like `gpj.exe` shown as `exe.jpg`).

use crate::LINE_CHARS_MAX;

/// The explicit bidi embeddings, overrides and isolates, and the three invisible bidi marks.
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that end a line somewhere, or that stand for a space: they become one space.
fn is_break_or_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// A subject, a display name or a file name: one line, runs of spaces and line breaks as one
/// space, no control or bidi characters, trimmed, at most [`LINE_CHARS_MAX`] characters.
pub(crate) fn one_line(s: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    let mut space = false;
    for c in s.chars() {
        if is_break_or_space(c) {
            space = true;
            continue;
        }
        if c.is_control() || is_bidi(c) {
            continue;
        }
        if space && !out.is_empty() {
            if chars + 1 >= LINE_CHARS_MAX {
                break;
            }
            out.push(' ');
            chars += 1;
        }
        space = false;
        if chars == LINE_CHARS_MAX {
            break;
        }
        out.push(c);
        chars += 1;
    }
    out
}

/// An address or a message id: no whitespace, control or bidi characters at all.
pub(crate) fn token(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_whitespace() && !c.is_control() && !is_bidi(c))
        .collect()
}

/// Body text: CRLF and lone CR become LF; control characters other than LF and tab are
/// removed (they could drive a terminal). Bidi characters stay: they may be what a report is
/// about, and the views show text isolated.
pub(crate) fn body_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_folds_breaks_and_drops_controls_and_bidi() {
        assert_eq!(
            one_line("  Hello\r\n\tworld\u{202E}gpj.exe\u{0} "),
            "Hello worldgpj.exe"
        );
        assert_eq!(one_line("a\u{2028}b\u{85}c"), "a b c");
        assert_eq!(one_line("\u{2066}\u{2069}"), "");
    }

    #[test]
    fn one_line_keeps_at_most_the_limit() {
        let long = "é".repeat(LINE_CHARS_MAX + 10);
        assert_eq!(one_line(&long).chars().count(), LINE_CHARS_MAX);
        let words = "ab ".repeat(LINE_CHARS_MAX);
        let cut = one_line(&words);
        assert!(cut.chars().count() <= LINE_CHARS_MAX);
        assert!(!cut.ends_with(' '));
    }

    #[test]
    fn body_text_normalises_line_ends() {
        assert_eq!(body_text("a\r\nb\rc\n\u{1b}[31md\te"), "a\nb\nc\n[31md\te");
    }
}
