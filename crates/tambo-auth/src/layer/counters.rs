//! The cache's hit and miss counters, written by every request on every core.
//!
//! One shared `AtomicU64` would put every request of every core on the same cache line, and
//! next to the layer's configuration that every request reads: each increment would take the
//! line from the other cores. Instead each thread adds to its own stripe, a cache-line-aligned
//! pair of counters picked once per thread, and a read (for metrics, rare) sums the stripes.
//! This is `crossbeam_utils::CachePadded` in spirit; the alignment attribute is all it takes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Stripes per counter set; threads beyond this many share stripes, round-robin.
const STRIPES: usize = 32;

/// One thread's counters, alone on their cache line (128 bytes: two lines on x86-64, whose
/// prefetcher pulls lines in pairs, and one line on Apple silicon).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Stripe {
    hits: AtomicU64,
    misses: AtomicU64,
}

/// Hits and misses, striped by thread.
#[derive(Debug)]
pub(crate) struct Counters {
    stripes: Box<[Stripe]>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
        }
    }
}

/// This thread's stripe: threads are numbered in the order they first count.
fn stripe_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    INDEX.with(|index| *index)
}

impl Counters {
    fn stripe(&self) -> &Stripe {
        &self.stripes[stripe_index()]
    }

    pub(crate) fn hit(&self) {
        self.stripe().hits.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn miss(&self) {
        self.stripe().misses.fetch_add(1, Ordering::Relaxed);
    }

    /// `(hits, misses)` summed over every thread.
    pub(crate) fn totals(&self) -> (u64, u64) {
        self.stripes.iter().fold((0, 0), |(hits, misses), stripe| {
            (
                hits + stripe.hits.load(Ordering::Relaxed),
                misses + stripe.misses.load(Ordering::Relaxed),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_add_up() {
        let counters = Counters::default();
        std::thread::scope(|s| {
            for t in 0..(STRIPES + 8) {
                let counters = &counters;
                s.spawn(move || {
                    for _ in 0..100 {
                        counters.hit();
                    }
                    for _ in 0..t {
                        counters.miss();
                    }
                });
            }
        });
        let threads = STRIPES + 8;
        assert_eq!(
            counters.totals(),
            (100 * threads as u64, (threads * (threads - 1) / 2) as u64)
        );
    }

    #[test]
    fn each_stripe_has_its_own_cache_line() {
        assert_eq!(std::mem::align_of::<Stripe>(), 128);
        let counters = Counters::default();
        let first = &counters.stripes[0] as *const Stripe as usize;
        let second = &counters.stripes[1] as *const Stripe as usize;
        assert_eq!(second - first, 128);
    }
}
