//! When the identity provider was disturbed (a fault, an outage, a key rotation), so that an
//! answer can be judged against what the server could know at the time.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after a disturbance ends its effects may still be seen: failed fetches back off
/// up to 30 s, and an unknown `kid` waits out a 30 s cooldown before its next refetch.
pub(crate) const GRACE: Duration = Duration::from_secs(45);

/// The disturbance windows of the run.
pub(crate) struct Timeline {
    start: Instant,
    windows: Mutex<Vec<Window>>,
}

struct Window {
    name: &'static str,
    from: Instant,
    until: Option<Instant>,
}

impl Timeline {
    pub(crate) fn new(start: Instant) -> Self {
        Timeline {
            start,
            windows: Mutex::new(Vec::new()),
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, Vec<Window>> {
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A disturbance starts now; its index for [`Timeline::end`].
    pub(crate) fn begin(&self, name: &'static str) -> usize {
        let mut windows = self.windows();
        windows.push(Window {
            name,
            from: Instant::now(),
            until: None,
        });
        windows.len() - 1
    }

    pub(crate) fn end(&self, index: usize) {
        if let Some(window) = self.windows().get_mut(index) {
            window.until = Some(Instant::now());
        }
    }

    /// Whether a request sent at `sent` and answered at `answered` overlapped a disturbance or
    /// the [`GRACE`] after it.
    pub(crate) fn disturbed(&self, sent: Instant, answered: Instant) -> bool {
        self.windows().iter().any(|w| {
            let until = w.until.map_or(answered, |u| u + GRACE);
            answered >= w.from && sent <= until
        })
    }

    /// `name at 12.3 s for 15.0 s` for each disturbance, in order.
    pub(crate) fn report(&self) -> Vec<String> {
        self.windows()
            .iter()
            .map(|w| {
                let at = w.from.saturating_duration_since(self.start).as_secs_f64();
                match w.until {
                    Some(until) => format!(
                        "{} at {at:.1} s for {:.1} s",
                        w.name,
                        until.duration_since(w.from).as_secs_f64()
                    ),
                    None => format!("{} at {at:.1} s (not ended)", w.name),
                }
            })
            .collect()
    }
}
