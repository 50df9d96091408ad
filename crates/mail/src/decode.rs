//! Undoing transfer encodings and charsets, and RFC 3676's format=flowed.
//!
//! The decoders are lenient on purpose: a damaged part still gives what can be read. Base64
//! skips what is not in its alphabet; quoted-printable keeps an `=` that starts no escape.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;

/// The body with its Content-Transfer-Encoding undone (7bit, 8bit, binary and unknown
/// encodings are taken as they are).
pub(crate) fn transfer_decoded<'a>(body: &'a [u8], encoding: &str) -> Cow<'a, [u8]> {
    match encoding {
        "base64" => Cow::Owned(base64(body)),
        "quoted-printable" => Cow::Owned(quoted_printable(body)),
        _ => Cow::Borrowed(body),
    }
}

fn base64_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Base64 that skips characters outside its alphabet and ends a group at `=`.
fn base64(input: &[u8]) -> Vec<u8> {
    fn flush(out: &mut Vec<u8>, group: u32, count: u32) {
        // Two characters carry one byte, three carry two.
        match count {
            2 => out.push((group >> 4) as u8),
            3 => out.extend_from_slice(&[(group >> 10) as u8, (group >> 2) as u8]),
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let (mut group, mut count) = (0u32, 0u32);
    for &c in input {
        if c == b'=' {
            flush(&mut out, group, count);
            (group, count) = (0, 0);
            continue;
        }
        let Some(value) = base64_value(c) else {
            continue;
        };
        group = (group << 6) | value;
        count += 1;
        if count == 4 {
            out.extend_from_slice(&[(group >> 16) as u8, (group >> 8) as u8, group as u8]);
            (group, count) = (0, 0);
        }
    }
    flush(&mut out, group, count);
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Quoted-printable: `=XX` is a byte, `=` at the end of a line (white space allowed before the
/// break) joins lines, any other `=` stays.
fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        if c != b'=' {
            out.push(c);
            i += 1;
            continue;
        }
        if let (Some(&h), Some(&l)) = (input.get(i + 1), input.get(i + 2))
            && let (Some(h), Some(l)) = (hex_value(h), hex_value(l))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        let mut j = i + 1;
        while matches!(input.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        match (input.get(j), input.get(j + 1)) {
            (Some(b'\n'), _) => i = j + 1,
            (Some(b'\r'), Some(b'\n')) => i = j + 2,
            (None, _) => i = j,
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

/// Bytes in a declared charset as text; UTF-8 (with replacement characters) when the charset
/// is absent or unknown. `mail-parser` knows the WHATWG labels (ISO-8859-*, Windows-125*,
/// KOI8-*, Shift_JIS, ISO-2022-JP, EUC-*, GB18030, Big5, UTF-16/7, ...).
pub(crate) fn text(bytes: &[u8], charset: Option<&str>) -> String {
    match charset.and_then(|c| charset_decoder(c.trim().as_bytes())) {
        Some(decoder) => decoder(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Joins RFC 3676 flowed lines back into paragraphs: a line ending in a space continues on the
/// next one of the same quote depth (that space removed when `delsp`), a leading space added
/// for transport (space-stuffing) is removed; the signature separator `-- ` is never flowed.
/// Takes LF-only text.
pub(crate) fn unflowed(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<usize> = None; // the quote depth of a paragraph still flowing
    for (n, line) in text.split('\n').enumerate() {
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let flowed = content.ends_with(' ') && content != "-- ";
        let content = if flowed && delsp {
            &content[..content.len() - 1]
        } else {
            content
        };
        if open != Some(depth) {
            if n > 0 {
                out.push('\n');
            }
            if depth > 0 {
                out.push_str(&">".repeat(depth));
                out.push(' ');
            }
        }
        out.push_str(content);
        open = flowed.then_some(depth);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_reads_what_it_can() {
        assert_eq!(base64(b"aGVsbG8gd29ybGQ=\r\n"), b"hello world");
        assert_eq!(base64(b"aGVs\r\nbG8=\r\n"), b"hello");
        assert_eq!(base64(b"aGVs!!bG8"), b"hello");
        assert_eq!(base64(b"aGk=aGk="), b"hihi");
        assert_eq!(base64(b""), b"");
    }

    #[test]
    fn quoted_printable_is_lenient() {
        assert_eq!(
            quoted_printable(b"caf=C3=A9 =\r\nnext"),
            "café next".as_bytes()
        );
        assert_eq!(quoted_printable(b"a=  \nb"), b"ab");
        assert_eq!(quoted_printable(b"1+1=2 =ZZ ="), b"1+1=2 =ZZ ");
    }

    #[test]
    fn flowed_lines_join() {
        assert_eq!(unflowed("one \ntwo\nthree", false), "one two\nthree");
        assert_eq!(unflowed("one \ntwo", true), "onetwo");
        assert_eq!(
            unflowed("> quoted \n> more\nreply", false),
            "> quoted more\nreply"
        );
        assert_eq!(unflowed(" From me\n-- \nsig", false), "From me\n-- \nsig");
        assert_eq!(unflowed("a\n\nb", false), "a\n\nb");
    }
}
