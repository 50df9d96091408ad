//! Header fields, read by `mail-parser` and turned into plain values.
//!
//! One parser configuration reads the message's header section and every part's: the fields
//! Postern uses are parsed (addresses, dates, ids, MIME parameters with RFC 2231, encoded
//! words); every other field is kept as raw text, which is all the screening needs.
//! Content-Type and Content-Disposition are read in a second step, bounded (see
//! [`MIME_FIELD_BYTES_MAX`]).

use std::collections::HashSet;

use mail_parser::parsers::MessageStream;
use mail_parser::{Address, Header, HeaderName, HeaderValue, MessageParser};

use crate::{Mailbox, clean};

/// The longest Content-Type or Content-Disposition field that is read; a longer one is
/// ignored, as if absent. `mail-parser` 0.11 joins RFC 2231 parameter sections (`name*0`,
/// `name*1`, ...) in time quadratic in their number; 8 KiB holds a 255-character file name in
/// percent-encoded UTF-8 several times over.
pub(crate) const MIME_FIELD_BYTES_MAX: usize = 8 * 1024;

/// The parser for header sections; it is only ever given a header section, never a body.
/// Content-Type and Content-Disposition are kept raw here and read by [`parse`].
pub(crate) fn parser() -> MessageParser {
    MessageParser::new()
        .header_raw(HeaderName::ContentType)
        .header_raw(HeaderName::ContentDisposition)
        .header_id(HeaderName::ContentId)
        .header_text(HeaderName::ContentTransferEncoding)
        .with_date_headers()
        .with_address_headers()
        .with_message_ids()
        .header_text(HeaderName::Subject)
        .header_address(HeaderName::DeliveredTo)
        .header_address("X-Original-To")
}

/// The fields of one header section (empty when it has none). Only the first Content-Type and
/// the first Content-Disposition are read as such, and only when at most
/// [`MIME_FIELD_BYTES_MAX`] long.
pub(crate) fn parse<'a>(parser: &MessageParser, block: &'a [u8]) -> Vec<Header<'a>> {
    let mut headers = parser
        .parse_headers(block)
        .and_then(|message| message.parts.into_iter().next())
        .map(|part| part.headers)
        .unwrap_or_default();
    for name in [HeaderName::ContentType, HeaderName::ContentDisposition] {
        let mut first = true;
        for header in headers.iter_mut().filter(|h| h.name == name) {
            let value = (header.offset_start as usize)..(header.offset_end as usize);
            header.value = match block.get(value) {
                Some(value) if first && value.len() <= MIME_FIELD_BYTES_MAX => {
                    MessageStream::new(value).parse_content_type()
                }
                _ => HeaderValue::Empty,
            };
            first = false;
        }
    }
    headers
}

/// Whether a header section starts with a header field: an RFC 5322 field name (printable
/// ASCII but the colon) and a colon, white space allowed before it (RFC 5322's obsolete
/// syntax). `mail-parser` takes any first line for a field name, even one without a colon.
pub(crate) fn starts_with_field(block: &[u8]) -> bool {
    let name_len = block
        .iter()
        .take_while(|&&b| (33..=126).contains(&b) && b != b':')
        .count();
    let rest = &block[name_len..];
    let colon = rest.iter().position(|&b| !matches!(b, b' ' | b'\t'));
    name_len > 0 && colon.is_some_and(|at| rest[at] == b':')
}

/// The values of every field with this name, in order.
pub(crate) fn values<'h, 'a>(
    headers: &'h [Header<'a>],
    name: &'h str,
) -> impl Iterator<Item = &'h HeaderValue<'a>> + 'h {
    headers
        .iter()
        .filter(move |h| h.name.as_str().eq_ignore_ascii_case(name))
        .map(|h| &h.value)
}

/// Whether a field with this name is present.
pub(crate) fn has(headers: &[Header<'_>], name: &str) -> bool {
    values(headers, name).next().is_some()
}

/// The first field with this name as text (decoded for the fields parsed as text, raw for the
/// others).
pub(crate) fn text(headers: &[Header<'_>], name: &str) -> Option<String> {
    values(headers, name).find_map(|value| match value {
        HeaderValue::Text(text) => Some(text.to_string()),
        HeaderValue::TextList(list) => Some(list.join(" ")),
        _ => None,
    })
}

/// The addresses of an address field's value, groups flattened.
fn addresses<'v>(value: &'v HeaderValue<'_>) -> Vec<(Option<&'v str>, &'v str)> {
    let list: Vec<&mail_parser::Addr<'_>> = match value {
        HeaderValue::Address(Address::List(list)) => list.iter().collect(),
        HeaderValue::Address(Address::Group(groups)) => {
            groups.iter().flat_map(|g| g.addresses.iter()).collect()
        }
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|addr| Some((addr.name.as_deref(), addr.address.as_deref()?)))
        .collect()
}

fn address(raw: &str) -> Option<String> {
    let address = clean::token(raw).to_lowercase();
    (!address.is_empty()).then_some(address)
}

/// The first mailbox of the first field with this name.
pub(crate) fn mailbox(headers: &[Header<'_>], name: &str) -> Option<Mailbox> {
    let value = values(headers, name).next()?;
    addresses(value).into_iter().find_map(|(display, raw)| {
        Some(Mailbox {
            address: address(raw)?,
            name: display.map(clean::one_line).filter(|n| !n.is_empty()),
        })
    })
}

/// Delivered-To, X-Original-To, To, Cc: lowercased, first occurrence kept.
pub(crate) fn recipients(headers: &[Header<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for name in ["Delivered-To", "X-Original-To", "To", "Cc"] {
        for value in values(headers, name) {
            for (_, raw) in addresses(value) {
                if let Some(address) = address(raw)
                    && seen.insert(address.clone())
                {
                    out.push(address);
                }
            }
        }
    }
    out
}

/// The message ids of the first field with this name, without brackets.
pub(crate) fn ids(headers: &[Header<'_>], name: &str) -> Vec<String> {
    let ids: Vec<&str> = match values(headers, name).next() {
        Some(HeaderValue::Text(id)) => vec![id.as_ref()],
        Some(HeaderValue::TextList(list)) => list.iter().map(|id| id.as_ref()).collect(),
        _ => Vec::new(),
    };
    ids.into_iter()
        .map(clean::token)
        .filter(|id| !id.is_empty())
        .collect()
}

/// The Date field, when it names a valid moment.
pub(crate) fn date(headers: &[Header<'_>]) -> Option<jiff::Timestamp> {
    values(headers, "Date").find_map(|value| match value {
        HeaderValue::DateTime(date) if date.is_valid() => {
            jiff::Timestamp::from_second(date.to_timestamp()).ok()
        }
        _ => None,
    })
}

/// What the MIME fields of an entity say about it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartInfo {
    /// `type/subtype`, lowercased, restricted to RFC 6838's name characters.
    pub mime_type: String,
    /// The Content-Type parameters, names lowercased.
    pub params: Vec<(String, String)>,
    /// The Content-Disposition type, lowercased.
    pub disposition: Option<String>,
    /// The file name: Content-Disposition's `filename`, else Content-Type's `name`.
    pub filename: Option<String>,
    /// Content-Transfer-Encoding, lowercased; empty when absent.
    pub transfer_encoding: String,
    /// Whether the entity has a Content-ID.
    pub content_id: bool,
}

impl PartInfo {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn is(&self, mime_type: &str) -> bool {
        self.mime_type == mime_type
    }

    pub(crate) fn is_multipart(&self) -> bool {
        self.mime_type.starts_with("multipart/")
    }
}

fn mime_token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(*c))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn content_type<'v, 'a>(
    value: Option<&'v HeaderValue<'a>>,
) -> Option<&'v mail_parser::ContentType<'a>> {
    match value? {
        HeaderValue::ContentType(ct) => Some(ct),
        _ => None,
    }
}

/// The MIME fields of one entity; `default_type` when it has no usable Content-Type
/// (`text/plain`, or `message/rfc822` inside a digest).
pub(crate) fn part_info(headers: &[Header<'_>], default_type: &str) -> PartInfo {
    let mut info = PartInfo {
        mime_type: default_type.to_string(),
        ..PartInfo::default()
    };
    if let Some(ct) = content_type(values(headers, "Content-Type").next()) {
        let top = mime_token(ct.ctype());
        if !top.is_empty() {
            let sub = ct.subtype().map(mime_token).unwrap_or_default();
            let sub = if !sub.is_empty() {
                sub
            } else {
                match top.as_str() {
                    "text" => "plain".to_string(),
                    "multipart" => "mixed".to_string(),
                    _ => "octet-stream".to_string(),
                }
            };
            info.mime_type = format!("{top}/{sub}");
        }
        info.params = ct
            .attributes()
            .unwrap_or_default()
            .iter()
            .map(|a| (a.name.to_ascii_lowercase(), a.value.to_string()))
            .collect();
    }
    if let Some(cd) = content_type(values(headers, "Content-Disposition").next()) {
        info.disposition = Some(cd.ctype().trim().to_ascii_lowercase());
        info.filename = cd.attribute("filename").map(str::to_string);
    }
    if info.filename.is_none() {
        info.filename = info.param("name").map(str::to_string);
    }
    info.transfer_encoding = text(headers, "Content-Transfer-Encoding")
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    info.content_id = has(headers, "Content-ID");
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_type(field: &str) -> PartInfo {
        let block = format!("Content-Type: {field}\r\n\r\n");
        part_info(&parse(&parser(), block.as_bytes()), "text/plain")
    }

    #[test]
    fn mime_fields_up_to_the_limit_are_read_and_longer_ones_ignored() {
        let field = |len: usize| {
            let head = "application/pdf; name*0=a; name*1=b; x=";
            format!("{head}{}", "y".repeat(len - head.len() - 3))
        };
        // The value read is the field after its colon: the space, the text, CR LF.
        let at_limit = content_type(&field(MIME_FIELD_BYTES_MAX));
        assert_eq!(at_limit.mime_type, "application/pdf");
        assert_eq!(at_limit.filename.as_deref(), Some("ab"));
        let over = content_type(&field(MIME_FIELD_BYTES_MAX + 1));
        assert_eq!(over.mime_type, "text/plain");
        assert_eq!(over.filename, None);
    }

    #[test]
    fn only_the_first_content_type_counts() {
        let block = b"Content-Type: text/html\r\nContent-Type: image/png\r\n\r\n";
        assert_eq!(
            part_info(&parse(&parser(), block), "text/plain").mime_type,
            "text/html"
        );
    }

    #[test]
    fn a_header_section_starts_with_a_field() {
        assert!(starts_with_field(b"From: a@example.net\r\n"));
        assert!(starts_with_field(b"X-Odd-Name  : value"));
        assert!(!starts_with_field(b"hello"));
        assert!(!starts_with_field(b" From: folded first"));
        assert!(!starts_with_field(b": no name"));
        assert!(!starts_with_field(b"two words: value"));
        assert!(!starts_with_field(b""));
    }
}
