//! The audit log as a hash chain: each event's hash covers the previous event's hash and every
//! field of the event, so editing, removing or reordering a stored event breaks the chain at the
//! first event touched, and `verify` names it.
//!
//! Truncating the newest events cannot be seen from the chain alone; `verify` returns the head
//! hash, and a `Checkpoint` (the event count and the head hash at a moment, kept somewhere the
//! database cannot rewrite) lets a later check (`Verifier::against`) see a log cut short or
//! rewritten before that point.

use jiff::Timestamp;
use sha2::{Digest as _, Sha256};

/// Bytes of an event hash.
pub const HASH_BYTES: usize = 32;
/// The hash before the first event.
pub const GENESIS: [u8; HASH_BYTES] = [0; HASH_BYTES];

/// One thing that happened: who did what, when, to which report, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// When, to the millisecond.
    pub at: Timestamp,
    /// Who: "reporter", "system", or a team member's account.
    pub actor: String,
    /// What, as a dotted name such as `report.received`.
    pub action: String,
    /// The report concerned, if any.
    pub report_id: Option<String>,
    /// Why, or other non-secret detail. Never report contents.
    pub detail: String,
}

fn field(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// The hash of `event` chained to the previous event's hash.
pub fn event_hash(previous: &[u8; HASH_BYTES], event: &AuditEvent) -> [u8; HASH_BYTES] {
    let mut hasher = Sha256::new();
    hasher.update(b"postern audit v1\0");
    hasher.update(previous);
    hasher.update(event.seq.to_be_bytes());
    hasher.update(event.at.as_millisecond().to_be_bytes());
    field(&mut hasher, event.actor.as_bytes());
    field(&mut hasher, event.action.as_bytes());
    match &event.report_id {
        Some(id) => {
            hasher.update([1]);
            field(&mut hasher, id.as_bytes());
        }
        None => hasher.update([0]),
    }
    field(&mut hasher, event.detail.as_bytes());
    hasher.finalize().into()
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// Events between two stored ones are gone.
    Removed {
        /// The first missing position.
        first_missing: i64,
        /// The event found in its place.
        found: i64,
    },
    /// An event is out of order (or repeated).
    Reordered {
        /// The event found where a later one was expected.
        seq: i64,
    },
    /// An event's content does not match its hash.
    Edited {
        /// The first event whose hash does not match.
        seq: i64,
    },
    /// The log holds fewer events than a checkpoint counted: its newest events were removed.
    Truncated {
        /// Events the checkpoint counted.
        checkpoint_events: u64,
        /// Events the log holds.
        found: u64,
    },
    /// The log's first events do not end in the checkpoint's head hash: they were rewritten
    /// (the whole chain recomputed) since the checkpoint was taken.
    Diverged {
        /// Events the checkpoint counted.
        checkpoint_events: u64,
    },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Removed {
                first_missing,
                found,
            } => write!(
                f,
                "event {first_missing} was removed (the next event stored is {found})"
            ),
            ChainBreak::Reordered { seq } => {
                write!(
                    f,
                    "event {seq} is out of order: events were reordered or copied"
                )
            }
            ChainBreak::Edited { seq } => write!(
                f,
                "event {seq} was edited: its content no longer matches its hash"
            ),
            ChainBreak::Truncated {
                checkpoint_events,
                found,
            } => write!(
                f,
                "the log was truncated: the checkpoint counted {checkpoint_events} event(s), the log holds {found}; events {} to {checkpoint_events} were removed",
                found + 1
            ),
            ChainBreak::Diverged { checkpoint_events } => write!(
                f,
                "the log was rewritten: its first {checkpoint_events} event(s) do not end in the checkpoint's head hash"
            ),
        }
    }
}

/// Checks a chain, in stored order from the first event. Returns the number of events and the
/// head hash.
pub fn verify<'a>(
    events: impl IntoIterator<Item = (&'a AuditEvent, &'a [u8])>,
) -> Result<(u64, [u8; HASH_BYTES]), ChainBreak> {
    let mut verifier = Verifier::default();
    for (event, hash) in events {
        verifier.push(event, hash)?;
    }
    Ok(verifier.finish())
}

/// What the log was at a moment: how many events it held and the hash of the newest. Anyone
/// may keep copies (Postern serves the latest and mails it to the admins); a later log that
/// does not extend it was cut short or rewritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// Events in the log.
    pub events: u64,
    /// The hash of the newest of them (`GENESIS` for an empty log).
    pub head: [u8; HASH_BYTES],
    /// When it was taken.
    pub at: Timestamp,
}

/// What a checkpoint's JSON names itself (`format`), so that a file of another kind is refused.
pub const CHECKPOINT_FORMAT: &str = "postern-audit-checkpoint/1";

/// A checkpoint as JSON: `{"format", "events", "head" (hex), "at" (RFC 3339)}`.
#[derive(serde::Serialize, serde::Deserialize)]
struct CheckpointJson {
    format: String,
    events: u64,
    head: String,
    at: Timestamp,
}

impl Checkpoint {
    /// The checkpoint as one line of JSON, as served and printed.
    pub fn to_json(&self) -> String {
        let head: String = self.head.iter().map(|b| format!("{b:02x}")).collect();
        serde_json::to_string(&CheckpointJson {
            format: CHECKPOINT_FORMAT.to_owned(),
            events: self.events,
            head,
            at: self.at,
        })
        .unwrap_or_default()
    }

    /// Reads a checkpoint's JSON; the error says what is wrong with it.
    pub fn from_json(text: &str) -> Result<Checkpoint, String> {
        let json: CheckpointJson = serde_json::from_str(text.trim()).map_err(|e| {
            format!("not a Postern audit checkpoint ({e}); `postern audit checkpoint` prints one")
        })?;
        if json.format != CHECKPOINT_FORMAT {
            return Err(format!(
                "its format is {:?}; this Postern reads {CHECKPOINT_FORMAT:?}",
                json.format
            ));
        }
        let digits = json.head.as_bytes();
        if digits.len() != HASH_BYTES * 2 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(format!(
                "its head is {} hexadecimal digits; found {:?}",
                HASH_BYTES * 2,
                json.head
            ));
        }
        let mut head = [0u8; HASH_BYTES];
        for (i, byte) in head.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&json.head[2 * i..2 * i + 2], 16)
                .map_err(|e| format!("its head is not hexadecimal: {e}"))?;
        }
        Ok(Checkpoint {
            events: json.events,
            head,
            at: json.at,
        })
    }
}

/// Checks a chain piece by piece, for logs read in batches.
#[derive(Debug, Clone)]
pub struct Verifier {
    previous: [u8; HASH_BYTES],
    next_seq: i64,
    count: u64,
    checkpoint: Option<Checkpoint>,
}

impl Default for Verifier {
    fn default() -> Verifier {
        Verifier {
            previous: GENESIS,
            next_seq: 1,
            count: 0,
            checkpoint: None,
        }
    }
}

impl Verifier {
    /// A verifier that also holds the log to a checkpoint taken earlier: its first
    /// `checkpoint.events` events must end in the checkpoint's head, and there must be at
    /// least that many (`end`).
    pub fn against(checkpoint: Checkpoint) -> Verifier {
        Verifier {
            checkpoint: Some(checkpoint),
            ..Verifier::default()
        }
    }

    /// Events checked and the head hash, once the whole log was pushed: refused when the log
    /// is shorter than the checkpoint it is held to.
    pub fn end(&self) -> Result<(u64, [u8; HASH_BYTES]), ChainBreak> {
        match self.checkpoint {
            Some(c) if self.count < c.events => Err(ChainBreak::Truncated {
                checkpoint_events: c.events,
                found: self.count,
            }),
            Some(c) if c.events == 0 && c.head != GENESIS => Err(ChainBreak::Diverged {
                checkpoint_events: 0,
            }),
            _ => Ok(self.finish()),
        }
    }

    /// Checks the next stored event.
    pub fn push(&mut self, event: &AuditEvent, stored_hash: &[u8]) -> Result<(), ChainBreak> {
        if event.seq > self.next_seq {
            return Err(ChainBreak::Removed {
                first_missing: self.next_seq,
                found: event.seq,
            });
        }
        if event.seq < self.next_seq {
            return Err(ChainBreak::Reordered { seq: event.seq });
        }
        let expected = event_hash(&self.previous, event);
        if expected[..] != *stored_hash {
            return Err(ChainBreak::Edited { seq: event.seq });
        }
        self.previous = expected;
        self.next_seq += 1;
        self.count += 1;
        if let Some(c) = self.checkpoint
            && c.events == self.count
            && c.head != self.previous
        {
            return Err(ChainBreak::Diverged {
                checkpoint_events: c.events,
            });
        }
        Ok(())
    }

    /// Events checked and the head hash.
    pub fn finish(&self) -> (u64, [u8; HASH_BYTES]) {
        (self.count, self.previous)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(AuditEvent, Vec<u8>)> {
        let mut previous = GENESIS;
        (1..=n)
            .map(|seq| {
                let event = AuditEvent {
                    seq,
                    at: Timestamp::from_millisecond(1_700_000_000_000 + seq).unwrap(),
                    actor: "reporter".into(),
                    action: "report.received".into(),
                    report_id: Some(format!("r{seq}")),
                    detail: format!("project=acme n={seq}"),
                };
                previous = event_hash(&previous, &event);
                (event, previous.to_vec())
            })
            .collect()
    }

    fn check(events: &[(AuditEvent, Vec<u8>)]) -> Result<(u64, [u8; 32]), ChainBreak> {
        verify(events.iter().map(|(e, h)| (e, h.as_slice())))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(5);
        let (count, head) = check(&events).unwrap();
        assert_eq!(count, 5);
        assert_eq!(head.to_vec(), events[4].1);
        assert_eq!(check(&[]).unwrap(), (0, GENESIS));
    }

    #[test]
    fn edits_removals_and_reorderings_name_the_first_event_touched() {
        let mut edited = chain(5);
        edited[2].0.detail = "project=other".into();
        assert_eq!(check(&edited), Err(ChainBreak::Edited { seq: 3 }));

        let mut removed = chain(5);
        removed.remove(1);
        assert_eq!(
            check(&removed),
            Err(ChainBreak::Removed {
                first_missing: 2,
                found: 3
            })
        );

        let mut reordered = chain(5);
        reordered.swap(1, 3);
        assert_eq!(
            check(&reordered),
            Err(ChainBreak::Removed {
                first_missing: 2,
                found: 4
            })
        );

        // Contents swapped but positions kept: the first swapped event no longer matches.
        let mut swapped = chain(5);
        let (a, b) = (swapped[1].0.clone(), swapped[3].0.clone());
        swapped[1].0 = AuditEvent { seq: 2, ..b };
        swapped[3].0 = AuditEvent { seq: 4, ..a };
        assert_eq!(check(&swapped), Err(ChainBreak::Edited { seq: 2 }));

        let mut repeated = chain(3);
        let copy = repeated[1].clone();
        repeated.insert(2, copy);
        assert_eq!(check(&repeated), Err(ChainBreak::Reordered { seq: 2 }));

        let mut rehashed = chain(4);
        rehashed[1].1[0] ^= 1;
        assert_eq!(check(&rehashed), Err(ChainBreak::Edited { seq: 2 }));
    }

    fn checkpoint_of(events: &[(AuditEvent, Vec<u8>)], n: usize) -> Checkpoint {
        Checkpoint {
            events: n as u64,
            head: if n == 0 {
                GENESIS
            } else {
                events[n - 1].1.clone().try_into().unwrap()
            },
            at: Timestamp::UNIX_EPOCH,
        }
    }

    fn check_against(
        events: &[(AuditEvent, Vec<u8>)],
        checkpoint: Checkpoint,
    ) -> Result<(u64, [u8; 32]), ChainBreak> {
        let mut verifier = Verifier::against(checkpoint);
        for (event, hash) in events {
            verifier.push(event, hash)?;
        }
        verifier.end()
    }

    #[test]
    fn a_checkpoint_reads_back_from_its_json_and_bad_ones_say_why() {
        let events = chain(3);
        let checkpoint = Checkpoint {
            at: Timestamp::from_millisecond(1_700_000_000_123).unwrap(),
            ..checkpoint_of(&events, 3)
        };
        let json = checkpoint.to_json();
        assert!(json.contains("\"events\":3"), "{json}");
        assert_eq!(Checkpoint::from_json(&json), Ok(checkpoint));
        assert!(
            Checkpoint::from_json("{}")
                .unwrap_err()
                .contains("not a Postern audit checkpoint")
        );
        let short = json.replace(&json[json.find("\"head\":\"").unwrap() + 8..][..4], "");
        assert!(
            Checkpoint::from_json(&short)
                .unwrap_err()
                .contains("64 hexadecimal digits")
        );
        let other = json.replace(CHECKPOINT_FORMAT, "something/9");
        assert!(
            Checkpoint::from_json(&other)
                .unwrap_err()
                .contains("something/9")
        );
    }

    #[test]
    fn a_log_that_extends_its_checkpoint_passes() {
        let events = chain(6);
        for n in 0..=6 {
            assert_eq!(
                check_against(&events, checkpoint_of(&events, n)).unwrap().0,
                6,
                "checkpoint at {n}"
            );
        }
    }

    #[test]
    fn a_log_cut_short_of_its_checkpoint_is_truncated() {
        let events = chain(6);
        let checkpoint = checkpoint_of(&events, 5);
        assert_eq!(
            check_against(&events[..3], checkpoint),
            Err(ChainBreak::Truncated {
                checkpoint_events: 5,
                found: 3
            })
        );
        assert!(
            check_against(&events[..3], checkpoint)
                .unwrap_err()
                .to_string()
                .contains("events 4 to 5 were removed")
        );
        assert_eq!(
            check_against(&[], checkpoint),
            Err(ChainBreak::Truncated {
                checkpoint_events: 5,
                found: 0
            })
        );
    }

    #[test]
    fn a_rewritten_chain_does_not_reach_the_checkpoint_head() {
        let events = chain(4);
        let checkpoint = checkpoint_of(&events, 3);
        // Rewritten and hashed again from the start: each event checks, the head differs.
        let mut previous = GENESIS;
        let rewritten: Vec<_> = events
            .iter()
            .map(|(e, _)| {
                let e = AuditEvent {
                    detail: format!("{} (rewritten)", e.detail),
                    ..e.clone()
                };
                previous = event_hash(&previous, &e);
                (e, previous.to_vec())
            })
            .collect();
        assert_eq!(
            check_against(&rewritten, checkpoint),
            Err(ChainBreak::Diverged {
                checkpoint_events: 3
            })
        );
    }
}
