//! Which parts make the readable body and which are attachments.
//!
//! In a `multipart/alternative` the text/plain version is preferred, else the HTML one; the
//! others are alternatives, not attachments (an image of a dropped HTML version still is one).
//! In `related`, `signed` and `report` the first part is the body and the rest attachments.
//! In `mixed` and the rest, each inline text/plain or text/html part without a file name is
//! body, the others attachments. PGP/MIME's ciphertext is kept aside, never read as text.

use crate::decode;
use crate::headers::PartInfo;
use crate::html;
use crate::mime::Part;
use crate::{Attachment, Encrypted, Signed, clean};

/// What the walk over the tree found.
#[derive(Debug, Default)]
pub(crate) struct Body {
    pub text: String,
    pub from_html: bool,
    pub attachments: Vec<Attachment>,
    pub encrypted: Option<Encrypted>,
    /// The first RFC 3156 `multipart/signed` part: what it signs and the signature.
    pub signed: Option<Signed>,
    /// A `message/delivery-status` part (RFC 3464) was seen.
    pub delivery_status: bool,
    /// A returned message or its headers (`message/rfc822`, `text/rfc822-headers`) was seen.
    pub returned_message: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Text parts here are the body.
    Body,
    /// An alternative that was not chosen: its text parts are dropped, the rest attached.
    Alternative,
    /// Everything here is an attachment.
    Attach,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Html,
}

pub(crate) fn collect(tree: &Part<'_>) -> Body {
    let mut body = Body::default();
    let mut pieces: Vec<String> = Vec::new();
    if tree.split {
        walk(tree, Mode::Body, &mut body, &mut pieces);
    } else {
        note(tree, &mut body);
        leaf(
            tree,
            text_kind(tree, true),
            Mode::Body,
            &mut body,
            &mut pieces,
        );
    }
    body.text = pieces
        .iter()
        .map(|p| without_blank_lines_around(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    body
}

/// A piece without the blank lines before and after it; the indentation of its first line
/// stays.
fn without_blank_lines_around(piece: &str) -> &str {
    let Some(first) = piece.find(|c: char| !c.is_whitespace()) else {
        return "";
    };
    let line_start = piece[..first].rfind('\n').map_or(0, |i| i + 1);
    piece[line_start..].trim_end()
}

/// Whether a part reads as body text where body text is wanted. A text part with a file name
/// is an attachment, unless it is the whole message and not marked as one.
fn text_kind(part: &Part<'_>, root: bool) -> Option<Kind> {
    let info = &part.info;
    if info.is_multipart() && !part.split {
        // A multipart whose delimiters never come is read as text.
        return Some(Kind::Plain);
    }
    if info.disposition.as_deref() == Some("attachment") || (info.filename.is_some() && !root) {
        return None;
    }
    match info.mime_type.as_str() {
        "text/plain" => Some(Kind::Plain),
        "text/html" => Some(Kind::Html),
        _ => None,
    }
}

/// What a part would give as body: used to choose among alternatives.
fn kind(part: &Part<'_>) -> Option<Kind> {
    if !part.split {
        return text_kind(part, false);
    }
    let children = &part.children;
    match part.info.mime_type.as_str() {
        "multipart/alternative" => {
            let kinds: Vec<Option<Kind>> = children.iter().map(kind).collect();
            [Kind::Plain, Kind::Html]
                .into_iter()
                .find(|k| kinds.contains(&Some(*k)))
        }
        "multipart/related" | "multipart/signed" | "multipart/report" => {
            children.first().and_then(kind)
        }
        "multipart/encrypted" => None,
        _ => children.iter().find_map(kind),
    }
}

/// Notes the parts that give a delivery report its shape.
fn note(part: &Part<'_>, body: &mut Body) {
    match part.info.mime_type.as_str() {
        "message/delivery-status" | "message/global-delivery-status" => body.delivery_status = true,
        "message/rfc822" | "message/global" | "text/rfc822-headers" | "message/global-headers" => {
            body.returned_message = true
        }
        _ => {}
    }
}

fn walk(part: &Part<'_>, mode: Mode, body: &mut Body, pieces: &mut Vec<String>) {
    let info = &part.info;
    note(part, body);
    if !part.split {
        leaf(part, text_kind(part, false), mode, body, pieces);
        return;
    }
    let children = &part.children;
    match info.mime_type.as_str() {
        "multipart/alternative" if mode == Mode::Body => {
            let chosen = [Kind::Plain, Kind::Html]
                .into_iter()
                .find_map(|k| children.iter().position(|c| kind(c) == Some(k)))
                .unwrap_or(children.len().saturating_sub(1));
            for (i, child) in children.iter().enumerate() {
                let mode = if i == chosen {
                    Mode::Body
                } else {
                    Mode::Alternative
                };
                walk(child, mode, body, pieces);
            }
        }
        "multipart/related" | "multipart/signed" | "multipart/report" => {
            if info.is("multipart/signed") && body.signed.is_none() {
                body.signed = signed(part);
            }
            for (i, child) in children.iter().enumerate() {
                walk(
                    child,
                    if i == 0 { mode } else { Mode::Attach },
                    body,
                    pieces,
                );
            }
        }
        "multipart/encrypted"
            if info
                .param("protocol")
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("application/pgp-encrypted")) =>
        {
            for child in children {
                if child.info.is("application/pgp-encrypted") && !child.split {
                    // The control part ("Version: 1") says nothing to the team.
                    continue;
                }
                if child.split {
                    walk(child, Mode::Attach, body, pieces);
                    continue;
                }
                let bytes = decode::transfer_decoded(child.body, &child.info.transfer_encoding);
                if body.encrypted.is_none() {
                    body.encrypted = Some(Encrypted::PgpMime {
                        armoured: String::from_utf8_lossy(&bytes).into_owned(),
                    });
                }
                body.attachments.push(Attachment {
                    name: "encrypted.asc".to_string(),
                    content_type: child.info.mime_type.clone(),
                    bytes: bytes.into_owned(),
                    inline: false,
                });
            }
        }
        _ => {
            for child in children {
                walk(child, mode, body, pieces);
            }
        }
    }
}

/// What an RFC 3156 `multipart/signed` signs (its first part as sent, with CRLF line ends as
/// the signature was made over) and its `application/pgp-signature` part, armoured.
fn signed(part: &Part<'_>) -> Option<Signed> {
    let pgp = part
        .info
        .param("protocol")
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("application/pgp-signature"));
    let [content, signature, ..] = part.children.as_slice() else {
        return None;
    };
    if !pgp || !signature.info.is("application/pgp-signature") {
        return None;
    }
    let bytes = decode::transfer_decoded(signature.body, &signature.info.transfer_encoding);
    Some(Signed {
        content: crlf(content.raw),
        signature: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// Bytes with every line ending in CRLF (a message stored with LF line ends was signed with
/// CRLF ones, RFC 3156 section 5).
pub(crate) fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

fn leaf(
    part: &Part<'_>,
    kind: Option<Kind>,
    mode: Mode,
    body: &mut Body,
    pieces: &mut Vec<String>,
) {
    if part.info.is("text/rfc822-headers") && part.info.param("protected-headers").is_some() {
        // The "legacy display" copy of protected headers (the subject is read from the
        // encrypted entity's own header section).
        return;
    }
    match (mode, kind) {
        (Mode::Body, Some(kind)) => {
            let (text, from_html) = render(part, kind);
            body.from_html |= from_html;
            pieces.push(text);
        }
        (Mode::Alternative, Some(_)) => {}
        _ => attach(part, body),
    }
}

fn render(part: &Part<'_>, kind: Kind) -> (String, bool) {
    let info = &part.info;
    let bytes = decode::transfer_decoded(part.body, &info.transfer_encoding);
    let text = decode::text(&bytes, info.param("charset"));
    match kind {
        Kind::Html => (clean::body_text(&html::to_text(&text)), true),
        Kind::Plain => {
            let text = clean::body_text(&text);
            let flowed = info
                .param("format")
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("flowed"));
            if flowed {
                let delsp = info
                    .param("delsp")
                    .is_some_and(|d| d.trim().eq_ignore_ascii_case("yes"));
                (decode::unflowed(&text, delsp), false)
            } else {
                (text, false)
            }
        }
    }
}

fn attach(part: &Part<'_>, body: &mut Body) {
    let info: &PartInfo = &part.info;
    let name = info
        .filename
        .as_deref()
        .map(clean::one_line)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("attachment-{}", body.attachments.len() + 1));
    let inline = match info.disposition.as_deref() {
        Some(disposition) => disposition == "inline",
        None => info.content_id,
    };
    body.attachments.push(Attachment {
        name,
        content_type: info.mime_type.clone(),
        bytes: decode::transfer_decoded(part.body, &info.transfer_encoding).into_owned(),
        inline,
    });
}
