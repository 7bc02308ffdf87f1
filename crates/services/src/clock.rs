//! The one time source of the server. Tests move it with an offset (the `/_xacct/clock` admin
//! route, enabled only by a flag) so expiry is tested without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// System time plus a settable offset in milliseconds.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// A clock at system time.
    pub fn new() -> Self {
        Clock::default()
    }

    /// Milliseconds since the Unix epoch, offset applied.
    pub fn now_ms(&self) -> i64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        sys.saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Seconds since the Unix epoch, offset applied.
    pub fn now_unix(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Seconds since the Unix epoch as a fraction (the wire layer's timestamp convention).
    pub fn now_epoch_f64(&self) -> f64 {
        // Millisecond precision is all AWS shows; the cast is exact below 2^53 ms.
        self.now_ms() as f64 / 1000.0
    }

    /// Moves the clock by `delta_ms` (may be negative); returns the new offset.
    pub fn advance_ms(&self, delta_ms: i64) -> i64 {
        self.offset_ms.fetch_add(delta_ms, Ordering::Relaxed).saturating_add(delta_ms)
    }

    /// Sets the offset from system time.
    pub fn set_offset_ms(&self, offset_ms: i64) {
        self.offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// The current offset from system time.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}
