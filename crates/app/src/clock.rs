//! The source of "now", so that tests run on a clock they control.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use jiff::Timestamp;

/// The source of "now".
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Timestamp + Send + Sync>);

impl Clock {
    /// The system clock, in milliseconds: the precision the store keeps, so that what a client
    /// is told is exactly what it will read back.
    pub fn system() -> Clock {
        Clock(Arc::new(|| {
            Timestamp::from_millisecond(Timestamp::now().as_millisecond())
                .unwrap_or(Timestamp::UNIX_EPOCH)
        }))
    }

    /// A clock stopped at one moment.
    pub fn fixed(at: Timestamp) -> Clock {
        Clock(Arc::new(move || at))
    }

    /// A clock that moves only when told to, through the returned handle.
    pub fn manual(start: Timestamp) -> (Clock, ManualClock) {
        let millis = Arc::new(AtomicI64::new(start.as_millisecond()));
        let read = Arc::clone(&millis);
        let clock = Clock(Arc::new(move || {
            Timestamp::from_millisecond(read.load(Ordering::SeqCst))
                .unwrap_or(Timestamp::UNIX_EPOCH)
        }));
        (clock, ManualClock(millis))
    }

    /// The current moment.
    pub fn now(&self) -> Timestamp {
        (self.0)()
    }
}

/// Moves a manual clock forward.
#[derive(Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// Advances the clock by whole seconds.
    pub fn advance_seconds(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}
