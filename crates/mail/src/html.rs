//! An HTML body as plain text for the team: no markup survives, scripts, styles, titles and
//! templates are dropped with their contents, comments and declarations (Outlook's
//! conditional comments too) vanish, blocks and `<br>` become line breaks, white space
//! collapses as a browser would, entities are decoded, and an `http`, `https` or `mailto`
//! link's address follows its text in angle brackets when the text does not already show it.
//!
//! It is a scanner, not a parser: it only needs to find where markup is, and never fails.

use std::borrow::Cow;

use crate::clean;

/// Elements whose contents are not text to read.
const RAW_TEXT: &[&str] = &["script", "style", "title", "template", "xml"];

struct Tag {
    name: String,
    closing: bool,
    self_closing: bool,
    /// The index just after the tag's `>`.
    end: usize,
    href: Option<String>,
}

enum Markup {
    /// A comment, a declaration or a processing instruction ending before this index.
    Skip(usize),
    Tag(Tag),
    /// A `<` that starts no markup: it is text.
    Text,
}

/// The plain text of an HTML document or fragment.
pub(crate) fn to_text(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = Out::default();
    let mut link: Option<(usize, String)> = None;
    let mut pre = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            match markup_at(html, i) {
                Markup::Skip(end) => {
                    i = end;
                    continue;
                }
                Markup::Tag(tag) => {
                    i = tag.end;
                    if !tag.closing && !tag.self_closing && RAW_TEXT.contains(&tag.name.as_str()) {
                        i = after_end_tag(bytes, i, &tag.name);
                    } else {
                        element(&tag, &mut out, &mut link, &mut pre);
                    }
                    continue;
                }
                Markup::Text => {}
            }
        }
        let next = find_byte(bytes, i + 1, b'<').unwrap_or(bytes.len());
        out.text(&entities(&html[i..next]), pre > 0);
        i = next;
    }
    out.finish()
}

fn find_byte(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == byte)
        .map(|p| from + p)
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The index after `</name ...>` (case-insensitive), or the end of the input.
fn after_end_tag(bytes: &[u8], from: usize, name: &str) -> usize {
    let mut i = from;
    while let Some(lt) = find_byte(bytes, i, b'<') {
        let rest = &bytes[lt..];
        if rest.get(1) == Some(&b'/')
            && rest
                .get(2..2 + name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
            && !rest
                .get(2 + name.len())
                .is_some_and(|b| b.is_ascii_alphanumeric())
        {
            return find_byte(bytes, lt, b'>').map_or(bytes.len(), |gt| gt + 1);
        }
        i = lt + 1;
    }
    bytes.len()
}

fn markup_at(html: &str, i: usize) -> Markup {
    let bytes = html.as_bytes();
    let rest = &bytes[i..];
    if rest.starts_with(b"<!--") {
        return Markup::Skip(find(bytes, i + 4, b"-->").map_or(bytes.len(), |p| p + 3));
    }
    if matches!(rest.get(1), Some(b'!' | b'?')) {
        return Markup::Skip(find_byte(bytes, i + 2, b'>').map_or(bytes.len(), |p| p + 1));
    }
    let closing = rest.get(1) == Some(&b'/');
    let name_start = i + 1 + usize::from(closing);
    if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
        return Markup::Text;
    }
    let mut j = name_start;
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b':' | b'-')) {
        j += 1;
    }
    let name = html[name_start..j].to_ascii_lowercase();
    let attributes_start = j;
    // Find the `>` that ends the tag; a quoted attribute value may hold one.
    let mut quote: Option<u8> = None;
    let mut after_equals = false;
    while j < bytes.len() {
        let b = bytes[j];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'>' => break,
            None if after_equals && (b == b'"' || b == b'\'') => quote = Some(b),
            None => {}
        }
        if quote.is_none() && !b.is_ascii_whitespace() {
            after_equals = b == b'=';
        }
        j += 1;
    }
    let attributes = &html[attributes_start..j];
    Markup::Tag(Tag {
        href: (name == "a" && !closing)
            .then(|| attribute(attributes, "href"))
            .flatten(),
        name,
        closing,
        self_closing: attributes.trim_end().ends_with('/'),
        end: (j + 1).min(bytes.len()),
    })
}

/// The value of an attribute, entities decoded.
fn attribute(attributes: &str, wanted: &str) -> Option<String> {
    let bytes = attributes.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'/')
        {
            i += 1;
        }
        let name = &attributes[name_start..i];
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let (start, end) = match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = find_byte(bytes, i + 1, q).unwrap_or(bytes.len());
                    (i + 1, end)
                }
                _ => {
                    let end = (i..bytes.len())
                        .find(|&k| bytes[k].is_ascii_whitespace())
                        .unwrap_or(bytes.len());
                    (i, end)
                }
            };
            value = Some(&attributes[start..end]);
            i = end + 1;
        } else if name.is_empty() {
            i += 1;
        }
        if name.eq_ignore_ascii_case(wanted) {
            return value.map(|v| entities(v).into_owned());
        }
    }
    None
}

fn element(tag: &Tag, out: &mut Out, link: &mut Option<(usize, String)>, pre: &mut usize) {
    match tag.name.as_str() {
        "br" => out.line_break(),
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "table" | "ul" | "ol"
        | "dl" => out.blank_line(),
        "pre" => {
            out.blank_line();
            *pre = if tag.closing {
                pre.saturating_sub(1)
            } else {
                *pre + 1
            };
        }
        "div" | "tr" | "dt" | "dd" | "section" | "article" | "header" | "footer" | "nav"
        | "address" | "center" | "form" | "fieldset" | "figure" | "main" | "aside" | "hr"
        | "caption" => out.ensure_line(),
        "li" => {
            out.ensure_line();
            if !tag.closing {
                out.s.push_str("- ");
            }
        }
        "td" | "th" if !tag.closing => out.space = true,
        "a" if !tag.closing => *link = tag.href.clone().map(|href| (out.s.len(), href)),
        "a" => {
            if let Some((start, href)) = link.take() {
                out.link_target(start, &href);
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct Out {
    s: String,
    /// White space seen and not yet written: one space before the next word on the line.
    space: bool,
}

impl Out {
    fn at_line_start(&self) -> bool {
        self.s.is_empty() || self.s.ends_with('\n')
    }

    fn text(&mut self, text: &str, pre: bool) {
        for c in text.chars() {
            if pre {
                if c != '\r' {
                    self.s.push(c);
                }
            } else if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0C}' | '\u{A0}') {
                self.space = true;
            } else {
                if self.space && !self.at_line_start() {
                    self.s.push(' ');
                }
                self.space = false;
                self.s.push(c);
            }
        }
    }

    fn line_break(&mut self) {
        let kept = self.s.trim_end_matches([' ', '\t']).len();
        self.s.truncate(kept);
        self.s.push('\n');
        self.space = false;
    }

    fn ensure_line(&mut self) {
        if self.at_line_start() {
            self.space = false;
        } else {
            self.line_break();
        }
    }

    fn blank_line(&mut self) {
        self.ensure_line();
        if !self.s.is_empty() && !self.s.ends_with("\n\n") {
            self.s.push('\n');
        }
    }

    /// After a link's text: its address, unless the text shows it already.
    fn link_target(&mut self, start: usize, href: &str) {
        let href = clean::token(href);
        let lower = href.to_ascii_lowercase();
        if !["http://", "https://", "mailto:"]
            .iter()
            .any(|s| lower.starts_with(s))
        {
            return;
        }
        let shown = self.s.get(start..).unwrap_or("");
        let target = href
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("mailto:"))
            .map_or(href.as_str(), |_| &href[7..]);
        if !shown.contains(target) {
            self.text(&format!(" <{href}>"), false);
        }
    }

    fn finish(self) -> String {
        let mut out = String::with_capacity(self.s.len());
        let mut newlines = 0;
        for line in self.s.split('\n') {
            let line = line.trim_end();
            if line.is_empty() {
                newlines += 1;
                continue;
            }
            if !out.is_empty() {
                out.push_str(if newlines > 1 { "\n\n" } else { "\n" });
            }
            newlines = 1;
            out.push_str(line);
        }
        out
    }
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "shy" => '\u{AD}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200C}',
        "zwj" => '\u{200D}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "para" => '¶',
        "deg" => '°',
        "plusmn" => '±',
        "times" => '×',
        "divide" => '÷',
        "micro" => 'µ',
        "iexcl" => '¡',
        "iquest" => '¿',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "yuml" => 'ÿ',
        "szlig" => 'ß',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "Ccedil" => 'Ç',
        "Eacute" => 'É',
        "Egrave" => 'È',
        "Ntilde" => 'Ñ',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "Uuml" => 'Ü',
        _ => return None,
    })
}

/// Character references decoded; an unknown or unterminated one stays as written.
fn entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // A reference is short: looking further for its `;` would make `&&&...` quadratic.
        let decoded = rest.as_bytes()[1..]
            .iter()
            .take(33)
            .position(|&b| b == b';')
            .and_then(|semi| Some((reference(&rest[1..1 + semi])?, semi + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn reference(name: &str) -> Option<char> {
    let Some(number) = name.strip_prefix('#') else {
        return named_entity(name);
    };
    let value = match number.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse::<u32>().ok()?,
    };
    Some(
        char::from_u32(value)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}'),
    )
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn markup_scripts_and_styles_vanish() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head>\
            <body><p>Hello <b>team</b>,</p><script>alert('x')</script>\
            <!-- hidden --><div>line&nbsp;two &amp; more</div><SCRIPT type=x>evil()</SCRIPT></body></html>";
        assert_eq!(to_text(html), "Hello team,\n\nline two & more");
    }

    #[test]
    fn line_breaks_lists_links_and_pre() {
        let html = "<div>a<br>b</div><ul><li>one</li><li>two</li></ul>\
            <a href=\"https://example.org/poc?a=1&amp;b=2\">the PoC</a> \
            <a href='https://example.org/x'>https://example.org/x</a>\
            <pre>  keep\n  this</pre>";
        assert_eq!(
            to_text(html),
            "a\nb\n\n- one\n- two\n\nthe PoC <https://example.org/poc?a=1&b=2> https://example.org/x\n\n  keep\n  this"
        );
    }

    #[test]
    fn odd_input_is_text_or_dropped() {
        assert_eq!(
            to_text("1 < 2 &bogus; &#x41;&#0; <unclosed"),
            "1 < 2 &bogus; A\u{FFFD}"
        );
        assert_eq!(to_text("<a href=\"javascript:x()\">click</a>"), "click");
        assert_eq!(to_text("<p title=\"a>b\">x</p><!-- never closed"), "x");
        assert_eq!(to_text("<script>never closed"), "");
    }
}
