//! What the soak saw: answers counted by request kind and status, latencies, and the findings
//! that fail the run.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How many findings are kept with their text; the rest are counted.
const KEPT_FINDINGS: usize = 30;

/// Status recorded for a request the server never answered (connection error, timeout).
pub(crate) const NO_ANSWER: u16 = 0;

/// Counts shared by every client task.
#[derive(Default)]
pub(crate) struct Tally {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    counts: BTreeMap<(&'static str, u16), u64>,
    latencies: BTreeMap<&'static str, Vec<u32>>,
    /// 503 `temporarily_unavailable` answered while the identity provider was disturbed.
    expected_unavailable: u64,
    /// 429 `slow_down`: a rate limit (on, with budgets above the soak's load).
    rate_limited: u64,
    findings: u64,
    kept: Vec<String>,
}

impl Tally {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Counters stay consistent if a holder panicked: each update is a plain increment.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One answer (or [`NO_ANSWER`]) of `kind`, and how long it took.
    pub(crate) fn record(&self, kind: &'static str, status: u16, elapsed: Duration) {
        let mut inner = self.lock();
        *inner.counts.entry((kind, status)).or_default() += 1;
        let micros = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
        inner.latencies.entry(kind).or_default().push(micros);
    }

    pub(crate) fn expected_unavailable(&self) {
        self.lock().expected_unavailable += 1;
    }

    pub(crate) fn rate_limited(&self) {
        self.lock().rate_limited += 1;
    }

    /// Something the soak asserts did not hold. The text never holds a token.
    pub(crate) fn finding(&self, text: String) {
        let mut inner = self.lock();
        inner.findings += 1;
        if inner.kept.len() < KEPT_FINDINGS {
            inner.kept.push(text);
        }
    }

    pub(crate) fn findings(&self) -> u64 {
        self.lock().findings
    }

    pub(crate) fn total(&self) -> u64 {
        self.lock().counts.values().sum()
    }

    /// Answers with a status of 500 or more, and those that are the expected 503s.
    pub(crate) fn server_errors(&self) -> (u64, u64) {
        let inner = self.lock();
        let all = inner
            .counts
            .iter()
            .filter(|((_, status), _)| *status >= 500)
            .map(|(_, n)| n)
            .sum();
        (all, inner.expected_unavailable)
    }

    /// The requests-by-kind-and-status table, latencies, and the findings.
    pub(crate) fn report(&self) -> String {
        use std::fmt::Write as _;
        let inner = self.lock();
        let mut out = String::new();
        let mut statuses: Vec<u16> = inner.counts.keys().map(|(_, s)| *s).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let _ = write!(out, "{:<24}", "kind");
        for status in &statuses {
            let label = if *status == NO_ANSWER {
                "none".to_owned()
            } else {
                status.to_string()
            };
            let _ = write!(out, "{label:>8}");
        }
        let _ = writeln!(out, "{:>9} {:>9} {:>9}", "total", "p50 ms", "p99 ms");
        let mut kinds: Vec<&'static str> = inner.counts.keys().map(|(k, _)| *k).collect();
        kinds.dedup();
        let mut by_status: BTreeMap<u16, u64> = BTreeMap::new();
        for kind in kinds {
            let _ = write!(out, "{kind:<24}");
            let mut total = 0;
            for status in &statuses {
                let n = inner.counts.get(&(kind, *status)).copied().unwrap_or(0);
                total += n;
                *by_status.entry(*status).or_default() += n;
                if n == 0 {
                    let _ = write!(out, "{:>8}", ".");
                } else {
                    let _ = write!(out, "{n:>8}");
                }
            }
            let mut latencies = inner.latencies.get(kind).cloned().unwrap_or_default();
            latencies.sort_unstable();
            let _ = writeln!(
                out,
                "{total:>9} {:>9.2} {:>9.2}",
                quantile(&latencies, 0.50),
                quantile(&latencies, 0.99)
            );
        }
        let _ = write!(out, "{:<24}", "all");
        for status in &statuses {
            let _ = write!(out, "{:>8}", by_status.get(status).copied().unwrap_or(0));
        }
        let _ = writeln!(out, "{:>9}", by_status.values().sum::<u64>());
        let _ = writeln!(
            out,
            "503 temporarily_unavailable while the identity provider was disturbed: {}; 429 slow_down: {}",
            inner.expected_unavailable, inner.rate_limited
        );
        let _ = writeln!(out, "findings: {}", inner.findings);
        for text in &inner.kept {
            let _ = writeln!(out, "  - {text}");
        }
        if inner.findings > inner.kept.len() as u64 {
            let _ = writeln!(
                out,
                "  ... and {} more",
                inner.findings - inner.kept.len() as u64
            );
        }
        out
    }
}

/// The `q` quantile of sorted microseconds, in milliseconds.
fn quantile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    f64::from(sorted[index]) / 1000.0
}
