//! The server's resident memory, read from `/proc/<pid>/status` (`VmRSS`) once a second, and
//! the comparison that says whether it stayed flat.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Samples of one process, taken by a background task.
pub(crate) struct Rss {
    samples: Arc<Mutex<Samples>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct Samples {
    /// When the mixed traffic started; samples before it are the cold start and priming.
    start: Option<Instant>,
    /// Seconds since `start`, and KiB.
    mixed: Vec<(f64, u64)>,
    before: Vec<u64>,
}

/// The figures of a run.
pub(crate) struct Memory {
    mixed: Vec<(f64, u64)>,
    before_max: Option<u64>,
    warmup: Duration,
}

/// `VmRSS` of `pid` in KiB, when the process is there.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn median(mut values: Vec<u64>) -> Option<u64> {
    values.sort_unstable();
    values.get(values.len() / 2).copied()
}

impl Rss {
    pub(crate) fn sample_every_second(pid: u32) -> Self {
        let samples = Arc::new(Mutex::new(Samples::default()));
        let shared = Arc::clone(&samples);
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(kib) = rss_kib(pid) else { break };
                let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
                match s.start {
                    Some(start) => {
                        let at = start.elapsed().as_secs_f64();
                        s.mixed.push((at, kib));
                    }
                    None => s.before.push(kib),
                }
            }
        });
        Rss { samples, task }
    }

    /// The mixed traffic starts now.
    pub(crate) fn mark_start(&self) {
        self.samples.lock().unwrap_or_else(|e| e.into_inner()).start = Some(Instant::now());
    }

    /// Stops sampling; the samples of the mixed traffic, compared after `warmup`.
    pub(crate) fn finish(self, warmup: Duration) -> Memory {
        self.task.abort();
        let samples = self.samples.lock().unwrap_or_else(|e| e.into_inner());
        Memory {
            mixed: samples.mixed.clone(),
            before_max: samples.before.iter().max().copied(),
            warmup,
        }
    }
}

impl Memory {
    /// The comparison windows: the first minute after the warm-up and the last minute, each
    /// shortened to a third of what follows the warm-up when the run is short; `None` under
    /// 10 s.
    fn windows(&self) -> Option<(Vec<u64>, Vec<u64>, f64)> {
        let end = self.mixed.last()?.0;
        let warm = self.warmup.as_secs_f64();
        let span = ((end - warm) / 3.0).min(60.0);
        if span < 10.0 {
            return None;
        }
        let first = self
            .mixed
            .iter()
            .filter(|(at, _)| *at >= warm && *at < warm + span)
            .map(|(_, kib)| *kib)
            .collect();
        let last = self
            .mixed
            .iter()
            .filter(|(at, _)| *at > end - span)
            .map(|(_, kib)| *kib)
            .collect();
        Some((first, last, span))
    }

    /// Median RSS of the last window minus that of the first window after the warm-up, MiB.
    pub(crate) fn growth_mib(&self) -> Option<f64> {
        let (first, last, _) = self.windows()?;
        Some(mib(median(last)?) - mib(median(first)?))
    }

    pub(crate) fn report(&self) -> String {
        let values: Vec<u64> = self.mixed.iter().map(|(_, kib)| *kib).collect();
        let (Some(min), Some(max), Some(first), Some(last)) = (
            values.iter().min(),
            values.iter().max(),
            values.first(),
            values.last(),
        ) else {
            return "RSS: no samples".into();
        };
        let mut out = format!(
            "RSS of the server over the mixed traffic ({} samples, 1 s apart): min {:.1} MiB, max {:.1} MiB, first {:.1} MiB, last {:.1} MiB",
            values.len(),
            mib(*min),
            mib(*max),
            mib(*first),
            mib(*last)
        );
        if let Some(before) = self.before_max {
            out.push_str(&format!(
                "; {:.1} MiB at most during cold start and priming",
                mib(before)
            ));
        }
        if let Some((first, last, span)) = self.windows() {
            let (first_max, last_max) = (
                first.iter().max().copied().unwrap_or(0),
                last.iter().max().copied().unwrap_or(0),
            );
            out.push_str(&format!(
                "\nRSS median (max) of the first {span:.0} s after the {:.0} s warm-up: {:.1} ({:.1}) MiB; of the last {span:.0} s: {:.1} ({:.1}) MiB; growth {:+.1} MiB",
                self.warmup.as_secs_f64(),
                mib(median(first).unwrap_or(0)),
                mib(first_max),
                mib(median(last).unwrap_or(0)),
                mib(last_max),
                self.growth_mib().unwrap_or(0.0)
            ));
        }
        out
    }
}
