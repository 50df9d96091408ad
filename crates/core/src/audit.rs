//! The audit log as a hash chain: each event's hash covers the previous event's hash and every
//! field of the event, so editing, removing or reordering a stored event breaks the chain at the
//! first event touched, and `verify` names it.
//!
//! Truncating the newest events cannot be seen from the chain alone; `verify` returns the head
//! hash so that an operator can record it elsewhere and compare later.

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

/// Checks a chain piece by piece, for logs read in batches.
#[derive(Debug, Clone)]
pub struct Verifier {
    previous: [u8; HASH_BYTES],
    next_seq: i64,
    count: u64,
}

impl Default for Verifier {
    fn default() -> Verifier {
        Verifier {
            previous: GENESIS,
            next_seq: 1,
            count: 0,
        }
    }
}

impl Verifier {
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
}
