//! The injectable clock every time check and cache decision reads, so tests control time.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use tambo_auth::clock::{Clock, ManualClock};
//!
//! let clock = ManualClock::at_unix(1_700_000_000);
//! clock.advance(Duration::from_secs(30));
//! assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_030));
//! ```

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
///
/// JWT dates are wall-clock seconds, and key-set freshness is measured on the same clock so a
/// test moves both with one call.
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time as seconds (with fraction) since the Unix epoch.
    fn unix_seconds(&self) -> f64 {
        unix_seconds_at(self.now())
    }
}

/// `time` as seconds (with fraction) since the Unix epoch; 0 before it.
pub(crate) fn unix_seconds_at(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to: for tests, and for tools that verify "as of" a time.
///
/// Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock stopped at `unix_seconds` after the epoch.
    pub fn at_unix(unix_seconds: u64) -> Self {
        Self {
            nanos: Arc::new(AtomicU64::new(unix_seconds.saturating_mul(1_000_000_000))),
        }
    }

    /// A clock stopped at the current system time.
    pub fn now_system() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self::at_unix(now)
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_add(by, Ordering::SeqCst);
    }

    /// Moves the clock backward (a server clock running behind, say).
    pub fn rewind(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_sub(by))
            });
    }

    /// Whole seconds since the epoch, for building test claims.
    pub fn unix(&self) -> u64 {
        self.nanos.load(Ordering::SeqCst) / 1_000_000_000
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

/// The shared handle the verifier and key sets hold.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let a = ManualClock::at_unix(100);
        let b = a.clone();
        b.advance(Duration::from_millis(1500));
        assert_eq!(a.unix_seconds(), 101.5);
        a.rewind(Duration::from_secs(200));
        assert_eq!(b.unix(), 0);
    }
}
