//! The MIME tree, split here rather than by `mail-parser`, with the limits counted on the way.
//!
//! `mail-parser` 0.11 does not bound the parts or the nesting it reads, reads an attached
//! message into a nested value whose drop recurses once per level (a few hundred kilobytes of
//! `message/rfc822` headers overflow the stack), and searches the rest of the message again
//! for each multipart whose boundary never comes (quadratic). Here each multipart's delimiters
//! are searched only inside its own body, reading stops at the first part over [`PARTS_MAX`]
//! or deeper than [`DEPTH_MAX`], and an attached message is a leaf. Delimiters follow RFC 2046:
//! a line that is `--` and the boundary, then optional white space, or `--` for the last.

use mail_parser::{Header, MessageParser};

use crate::headers::{self, PartInfo};
use crate::{DEPTH_MAX, PARTS_MAX, Unreadable};

/// One entity of the message: its MIME fields, its body (still transfer-encoded) and, for a
/// multipart whose delimiters were found, its parts.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    pub info: PartInfo,
    /// The whole entity as sent: its header section and its body (what a `multipart/signed`
    /// signature covers).
    pub raw: &'a [u8],
    pub body: &'a [u8],
    pub children: Vec<Part<'a>>,
    /// Whether this is a multipart whose delimiters were found (a multipart without them is
    /// read as text).
    pub split: bool,
}

/// Splits an entity into its header section (up to and with the first empty line) and its
/// body. An entity starting with an empty line has no header section.
pub(crate) fn split_entity(bytes: &[u8]) -> (&[u8], &[u8]) {
    let mut line_start = 0;
    while line_start < bytes.len() {
        let line_end = find_newline(bytes, line_start);
        let line = &bytes[line_start..line_end];
        if line.is_empty() || line == b"\r" {
            let body_start = (line_end + 1).min(bytes.len());
            return (&bytes[..body_start], &bytes[body_start..]);
        }
        line_start = line_end + 1;
    }
    (bytes, &bytes[bytes.len()..])
}

/// The message without the `From ` line an mbox file puts before it, if it has one.
pub(crate) fn without_mbox_separator(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        let end = find_newline(raw, 0);
        &raw[(end + 1).min(raw.len())..]
    } else {
        raw
    }
}

/// The index of the next LF at or after `from`, or the length.
fn find_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| from + i)
}

/// Whether a line (without its LF) is a delimiter of `boundary`: `Some(true)` for the closing
/// one.
fn delimiter(line: &[u8], boundary: &[u8]) -> Option<bool> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (close, padding) = match rest.strip_prefix(b"--") {
        Some(padding) => (true, padding),
        None => (false, rest),
    };
    padding
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
        .then_some(close)
}

/// The parts of a multipart body, at most `cap` of them; `None` when no delimiter is found.
/// The preamble and the epilogue are dropped; a missing closing delimiter ends the last part at
/// the end of the body. The line break before a delimiter belongs to the delimiter.
fn split_multipart<'a>(body: &'a [u8], boundary: &[u8], cap: usize) -> Option<Vec<&'a [u8]>> {
    let mut pieces = Vec::new();
    let mut found = false;
    let mut start: Option<usize> = None;
    let mut line_start = 0;
    while line_start < body.len() {
        let line_end = find_newline(body, line_start);
        if let Some(close) = delimiter(&body[line_start..line_end], boundary) {
            found = true;
            if let Some(s) = start {
                let mut end = line_start;
                if end > s && body[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > s && body[end - 1] == b'\r' {
                    end -= 1;
                }
                pieces.push(&body[s..end]);
                if pieces.len() >= cap {
                    return Some(pieces);
                }
            }
            if close {
                return Some(pieces);
            }
            start = Some((line_end + 1).min(body.len()));
        }
        line_start = line_end + 1;
    }
    if let Some(s) = start {
        pieces.push(&body[s..]);
    }
    found.then_some(pieces)
}

/// Reads the MIME tree of a message whose header section is `top`.
pub(crate) fn tree<'a>(
    parser: &MessageParser,
    top: &[Header<'_>],
    body: &'a [u8],
) -> Result<Part<'a>, Unreadable> {
    let mut parts = 1;
    build(
        parser,
        headers::part_info(top, "text/plain"),
        body,
        body,
        0,
        &mut parts,
    )
}

fn build<'a>(
    parser: &MessageParser,
    info: PartInfo,
    raw: &'a [u8],
    body: &'a [u8],
    depth: usize,
    parts: &mut usize,
) -> Result<Part<'a>, Unreadable> {
    let mut part = Part {
        info,
        raw,
        body,
        children: Vec::new(),
        split: false,
    };
    if !part.info.is_multipart() {
        return Ok(part);
    }
    let Some(boundary) = part.info.param("boundary").filter(|b| !b.is_empty()) else {
        return Ok(part);
    };
    let Some(pieces) = split_multipart(body, boundary.as_bytes(), PARTS_MAX + 1) else {
        return Ok(part);
    };
    part.split = true;
    if !pieces.is_empty() && depth + 1 > DEPTH_MAX {
        return Err(Unreadable::TooDeep);
    }
    let default_type = if part.info.is("multipart/digest") {
        "message/rfc822"
    } else {
        "text/plain"
    };
    for piece in pieces {
        *parts += 1;
        if *parts > PARTS_MAX {
            return Err(Unreadable::TooManyParts { parts: *parts });
        }
        let (header_block, child_body) = split_entity(piece);
        let child_headers = headers::parse(parser, header_block);
        let info = headers::part_info(&child_headers, default_type);
        part.children
            .push(build(parser, info, piece, child_body, depth + 1, parts)?);
    }
    Ok(part)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_split_at_the_first_empty_line() {
        assert_eq!(
            split_entity(b"A: b\r\n\r\nbody\r\n"),
            (&b"A: b\r\n\r\n"[..], &b"body\r\n"[..])
        );
        assert_eq!(split_entity(b"\nbody"), (&b"\n"[..], &b"body"[..]));
        assert_eq!(split_entity(b"A: b"), (&b"A: b"[..], &b""[..]));
        assert_eq!(split_entity(b""), (&b""[..], &b""[..]));
    }

    #[test]
    fn delimiters_are_whole_lines() {
        assert_eq!(delimiter(b"--b1", b"b1"), Some(false));
        assert_eq!(delimiter(b"--b1  \r", b"b1"), Some(false));
        assert_eq!(delimiter(b"--b1--", b"b1"), Some(true));
        assert_eq!(delimiter(b"--b12", b"b1"), None);
        assert_eq!(delimiter(b"x--b1", b"b1"), None);
    }

    #[test]
    fn multiparts_split_without_preamble_epilogue_or_the_break_before_a_delimiter() {
        let body = b"preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b--\r\nepilogue";
        assert_eq!(
            split_multipart(body, b"b", 10),
            Some(vec![&b"A: 1\r\n\r\none"[..], &b"\r\ntwo"[..]])
        );
        assert_eq!(
            split_multipart(b"--b\nlast", b"b", 10),
            Some(vec![&b"last"[..]])
        );
        assert_eq!(split_multipart(b"no delimiter", b"b", 10), None);
        assert_eq!(
            split_multipart(b"--b\n--b\n--b\n", b"b", 2).map(|p| p.len()),
            Some(2)
        );
    }
}
