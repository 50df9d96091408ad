//! Postern's reading of inbound email: one raw message in, a [`Mail`] out.
//!
//! Reports and replies reach a project's security address as email. This crate turns the raw
//! bytes an IMAP client fetched into what the rest of Postern needs: who wrote, to which
//! address, about which thread, the readable text, the attachments as sent, and whether the
//! message is machine-made (a bounce, an auto-reply, a list, Postern's own mail) or encrypted.
//!
//! It is pure: no IO, no clock, no randomness. The same bytes always give the same [`Mail`].
//! It never panics and refuses, with [`Unreadable`], what it will not read: a message larger
//! than [`MESSAGE_BYTES_MAX`], with more than [`PARTS_MAX`] MIME parts, or nested deeper than
//! [`DEPTH_MAX`].
//!
//! `mail-parser` reads the header fields (RFC 2047 encoded words, addresses, dates, message
//! ids, MIME parameters with RFC 2231) and decodes the charsets. The MIME tree itself is split
//! here (`mime.rs`), so that the limits are counted while reading rather than afterwards, the
//! work stays linear in the size of the message, and an attached message (`message/rfc822`)
//! stays one attachment: `mail-parser` 0.11 reads nested messages into a recursive value
//! without bound, which a crafted message turns into a stack overflow.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod body;
mod clean;
mod decode;
mod headers;
mod html;
mod mime;
mod screen;

use std::fmt;

/// A raw message larger than this is refused ([`Unreadable::TooLarge`]): 32 MiB, room for a
/// 20 MB attachment after base64.
pub const MESSAGE_BYTES_MAX: usize = 32 * 1024 * 1024;

/// The most MIME parts a message may have ([`Unreadable::TooManyParts`]). Every entity counts:
/// the message itself, each multipart container and each part inside one. An attached message
/// (`message/rfc822`) is one part: it is kept as an attachment and not read inside.
pub const PARTS_MAX: usize = 200;

/// The deepest nesting of multiparts ([`Unreadable::TooDeep`]): the message itself is at depth
/// 0 and each part at one more than the multipart holding it, so a message may nest
/// `DEPTH_MAX` multiparts inside one another.
pub const DEPTH_MAX: usize = 12;

/// The most characters of a subject, a display name or an attachment's name: RFC 5322's line
/// length. Longer ones are cut.
pub const LINE_CHARS_MAX: usize = 998;

/// Why a raw message was not read. The `Display` text is a sentence for the team's view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unreadable {
    /// The raw message is larger than [`MESSAGE_BYTES_MAX`].
    #[error(
        "The message is {bytes} bytes long, more than the {max} bytes Postern reads; ask the sender to share large files another way.",
        max = MESSAGE_BYTES_MAX
    )]
    TooLarge {
        /// The size of the raw message.
        bytes: usize,
    },
    /// The message has more than [`PARTS_MAX`] MIME parts.
    #[error(
        "The message has more than {max} MIME parts (reading stopped at part {parts}); ask the sender to send fewer attachments in one message.",
        max = PARTS_MAX
    )]
    TooManyParts {
        /// How many parts were counted when reading stopped (the limit plus one, or more).
        parts: usize,
    },
    /// The message nests multiparts more than [`DEPTH_MAX`] levels deep.
    #[error(
        "The message nests its MIME parts more than {max} levels deep, which no mail program does; it was not read.",
        max = DEPTH_MAX
    )]
    TooDeep,
    /// The bytes are not an email message: their first line is not a header field.
    #[error("This is not an email message: {0}.")]
    NotAMessage(String),
}

/// An address with its display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The display name, decoded (RFC 2047), on one line without control or bidi characters
    /// (see [`Mail::subject`]), at most [`LINE_CHARS_MAX`] characters; `None` when absent or
    /// empty.
    pub name: Option<String>,
    /// The address, lowercased as a whole (the local part too: matching stays simple, and no
    /// mail system in use tells two mailboxes apart by case), without whitespace, control or
    /// bidi characters.
    pub address: String,
}

/// A message as Postern reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The ids in In-Reply-To, without angle brackets, in order.
    pub in_reply_to: Vec<String>,
    /// The ids in References, without angle brackets, in order.
    pub references: Vec<String>,
    /// The first mailbox of From.
    pub from: Option<Mailbox>,
    /// The first mailbox of Reply-To.
    pub reply_to: Option<Mailbox>,
    /// The Sender: header's mailbox, if any.
    pub sender: Option<Mailbox>,
    /// The addresses of Delivered-To, X-Original-To, To and Cc, in that order (each header in
    /// the order of the message), lowercased, without duplicates, addresses only.
    pub recipients: Vec<String>,
    /// The subject, decoded (RFC 2047), on one line: line breaks and tabs become one space,
    /// other control characters and the bidi controls (U+202A-U+202E, U+2066-U+2069, and the
    /// marks U+200E, U+200F, U+061C) are removed, it is trimmed and at most
    /// [`LINE_CHARS_MAX`] characters. Empty when there is none.
    pub subject: String,
    /// The Date header, when it is a valid date.
    pub date: Option<jiff::Timestamp>,
    /// The readable body: the text/plain part preferred; else the HTML turned into plain text
    /// (no markup survives, scripts and styles are dropped, a link's address follows its text).
    /// CRLF becomes LF, format=flowed text is joined back into paragraphs, control characters
    /// other than LF and tab are removed. Several inline text parts (as Apple Mail sends
    /// around an inline attachment) are joined by a blank line. Empty when there is no text,
    /// and for a PGP/MIME message: its ciphertext is in [`Mail::encrypted`].
    pub text: String,
    /// Whether any of `text` came from HTML.
    pub from_html: bool,
    /// Every part that is not the body, inline images included, in the order of the message.
    /// An attached message (`message/rfc822`) is one attachment, not read inside. The
    /// alternatives of the body that were not chosen (the HTML beside a text/plain part) are
    /// not attachments, and neither is PGP/MIME's `application/pgp-encrypted` control part.
    pub attachments: Vec<Attachment>,
    /// Whether a machine sent this rather than a person, and which kind.
    pub automated: Option<Automated>,
    /// The message's OpenPGP ciphertext, when it is encrypted.
    pub encrypted: Option<Encrypted>,
    /// Its RFC 3156 signature, when it is (or its body is) a `multipart/signed`.
    pub signed: Option<Signed>,
    /// The size of the message's header section, the blank line after it included.
    pub header_bytes: usize,
}

/// A part of the message that is not its body, as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name as sent, decoded (RFC 2047, RFC 2231), without control or bidi characters,
    /// at most [`LINE_CHARS_MAX`] characters; `attachment-N` when it has none, N counting the
    /// message's attachments from 1. PGP/MIME ciphertext is always `encrypted.asc`.
    pub name: String,
    /// The MIME type, lowercased, without parameters (`application/pdf`).
    pub content_type: String,
    /// The bytes after the transfer encoding (base64, quoted-printable) is undone; no charset
    /// is applied.
    pub bytes: Vec<u8>,
    /// Whether it was meant to be shown in the body: `Content-Disposition: inline`, or no
    /// disposition and a Content-ID (an image an HTML body refers to).
    pub inline: bool,
}

impl fmt::Debug for Attachment {
    // The bytes can be megabytes: a failing assertion shows their size, not their contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("inline", &self.inline)
            .finish()
    }
}

/// Which kind of machine sent a message. When several apply, the first in this order wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Automated {
    /// Postern's own outgoing mail (it carries `X-Postern-Mail`) came back to its address.
    Postern,
    /// A delivery status notification: an RFC 3464 `multipart/report` with
    /// `report-type=delivery-status`, or a message from MAILER-DAEMON or postmaster with the
    /// shape of one (a delivery-status or returned-message part, a null Return-Path, or a
    /// bounce subject).
    Bounce,
    /// An automatic answer: `Auto-Submitted` other than `no` (RFC 3834), `X-Autoreply`,
    /// `X-Autorespond`, `Precedence: auto_reply`, a read receipt (`multipart/report` with
    /// `report-type=disposition-notification`), or a vacation subject ("Out of office",
    /// "Automatic reply", ...) together with a header signal (`X-Auto-Response-Suppress`,
    /// `X-Autogenerated`, a null Return-Path). A subject alone never decides.
    AutoReply,
    /// Mail from a mailing list or bulk sender: `List-Id`, `List-Unsubscribe`,
    /// `Precedence: bulk | list | junk`, or `Mailing-List`.
    List,
}

impl Automated {
    /// One sentence for the team's screening view, saying why the message was set aside.
    pub fn reason(&self) -> &'static str {
        match self {
            Automated::Postern => {
                "Postern sent this message itself and it came back to the security address."
            }
            Automated::Bounce => {
                "A mail server reports that a message could not be delivered (a bounce)."
            }
            Automated::AutoReply => {
                "An automatic answer, such as an out-of-office notice, not a message a person wrote."
            }
            Automated::List => "Mail from a mailing list or bulk sender, not written to the team.",
        }
    }
}

/// OpenPGP ciphertext found in a message. Postern does not decrypt here; the armoured text is
/// kept for whoever holds the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encrypted {
    /// RFC 3156 PGP/MIME: a `multipart/encrypted` whose `application/octet-stream` part holds
    /// the armoured message. That part is also an attachment named `encrypted.asc`, and
    /// [`Mail::text`] says nothing.
    PgpMime {
        /// The armoured message, as sent.
        armoured: String,
    },
    /// A text body holding a `-----BEGIN PGP MESSAGE-----` block; [`Mail::text`] keeps it.
    InlinePgp {
        /// The block, from its BEGIN line to its END line (or the end of the text).
        armoured: String,
    },
}

/// An RFC 3156 `multipart/signed` entity, as its signature is checked: the signed part as sent
/// (header section included, CRLF line ends) and the detached signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Signed {
    /// The first part of the `multipart/signed`, byte for byte as it was sent (only LF line
    /// ends made CRLF).
    pub content: Vec<u8>,
    /// The `application/pgp-signature` part, armoured.
    pub signature: String,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("content", &format_args!("<{} bytes>", self.content.len()))
            .field(
                "signature",
                &format_args!("<{} bytes>", self.signature.len()),
            )
            .finish()
    }
}

/// Reads one raw message (RFC 5322, as an IMAP server stores it; LF or CRLF line ends; an mbox
/// `From ` separator line before it is skipped).
///
/// A broken message is read as far as it can be: a multipart without its closing delimiter
/// ends at the end of the message, bad base64 decodes what is valid, an unknown charset reads
/// as UTF-8 with replacement characters. Refused are a message larger than
/// [`MESSAGE_BYTES_MAX`], one with more than [`PARTS_MAX`] parts or nested deeper than
/// [`DEPTH_MAX`], and bytes whose first line is not a header field.
pub fn read(raw: &[u8]) -> Result<Mail, Unreadable> {
    if raw.len() > MESSAGE_BYTES_MAX {
        return Err(Unreadable::TooLarge { bytes: raw.len() });
    }
    let parser = headers::parser();
    let (header_block, body_bytes) = mime::split_entity(mime::without_mbox_separator(raw));
    if !headers::starts_with_field(header_block) {
        return Err(Unreadable::NotAMessage(
            "its first line is not a header field like From or Subject".to_string(),
        ));
    }
    let top = headers::parse(&parser, header_block);
    let tree = mime::tree(&parser, &top, body_bytes)?;
    let body = body::collect(&tree);

    let subject = headers::text(&top, "Subject")
        .map(|s| clean::one_line(&s))
        .unwrap_or_default();
    let from = headers::mailbox(&top, "From");
    let mut encrypted = body.encrypted;
    if encrypted.is_none() {
        encrypted =
            screen::inline_pgp(&body.text).map(|armoured| Encrypted::InlinePgp { armoured });
    }
    let automated = screen::automated(&screen::Signals {
        headers: &top,
        top: &tree.info,
        subject: &subject,
        from: from.as_ref(),
        delivery_status: body.delivery_status,
        returned_message: body.returned_message,
    });
    Ok(Mail {
        message_id: headers::ids(&top, "Message-ID").into_iter().next(),
        in_reply_to: headers::ids(&top, "In-Reply-To"),
        references: headers::ids(&top, "References"),
        reply_to: headers::mailbox(&top, "Reply-To"),
        sender: headers::mailbox(&top, "Sender"),
        recipients: headers::recipients(&top),
        date: headers::date(&top),
        from,
        subject,
        text: body.text,
        from_html: body.from_html,
        attachments: body.attachments,
        automated,
        encrypted,
        signed: body.signed,
        header_bytes: header_block.len(),
    })
}

/// The message `outer` as its reader sees it once its PGP/MIME part is decrypted: `plaintext`
/// is the decrypted MIME entity (RFC 3156 section 4), read under the same limits as a message
/// ([`MESSAGE_BYTES_MAX`], [`PARTS_MAX`], [`DEPTH_MAX`]). Its text, attachments and signature
/// replace the outer message's; the envelope (sender, recipients, ids, date, screening) stays
/// the outer one's. The subject is the entity's own when it has one (protected headers, as
/// Thunderbird sends them, where the outer subject is `...`), else the outer one. Plaintext
/// without a header section is read as a text/plain body.
pub fn read_decrypted(outer: &Mail, plaintext: &[u8]) -> Result<Mail, Unreadable> {
    if plaintext.len() > MESSAGE_BYTES_MAX {
        return Err(Unreadable::TooLarge {
            bytes: plaintext.len(),
        });
    }
    let parser = headers::parser();
    let (header_block, body_bytes) = if headers::starts_with_field(plaintext) {
        mime::split_entity(plaintext)
    } else {
        (&plaintext[..0], plaintext)
    };
    let inner = headers::parse(&parser, header_block);
    let tree = mime::tree(&parser, &inner, body_bytes)?;
    let body = body::collect(&tree);
    let subject = headers::text(&inner, "Subject")
        .map(|s| clean::one_line(&s))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| outer.subject.clone());
    Ok(Mail {
        subject,
        text: body.text,
        from_html: body.from_html,
        attachments: body.attachments,
        // A message encrypted twice is not read further: its inner ciphertext stays attached.
        encrypted: None,
        signed: body.signed,
        ..outer.clone()
    })
}

/// The message `outer` with its inline-PGP block (RFC 4880 armour in a text body) replaced by
/// the decrypted `plaintext` (UTF-8; invalid bytes replaced), cleaned as any body text.
pub fn with_inline_plaintext(outer: &Mail, plaintext: &[u8]) -> Mail {
    let mut mail = outer.clone();
    if let Some(Encrypted::InlinePgp { armoured }) = &outer.encrypted {
        let clear = clean::body_text(&String::from_utf8_lossy(plaintext));
        mail.text = outer.text.replacen(armoured.as_str(), clear.trim(), 1);
        mail.encrypted = None;
    }
    mail
}
