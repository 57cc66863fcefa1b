//! Black-box runs of the `tambo-auth` binary (the server's process tests and the soak): a
//! `serve` process on its configuration, and a small seeded generator for replayable traffic.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `binary serve --config config` with `TAMBO_AUTH_LOG=log` and `env` in its
/// environment and its logs (stderr) sent to `logs`, and reads the address it listens on from its first line. Returns the process
/// and that address (`http://127.0.0.1:<port>`).
///
/// # Panics
///
/// When the process cannot start or its first line is not `tambo-auth listening on <address>`.
pub fn serve(
    binary: &Path,
    config: &Path,
    log: &str,
    logs: Stdio,
    env: &[(&str, &str)],
) -> (Child, String) {
    let mut child = Command::new(binary)
        .args(["serve", "--config"])
        .arg(config)
        .env("TAMBO_AUTH_LOG", log)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(logs)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server prints its address");
    let base = line
        .trim()
        .strip_prefix("tambo-auth listening on ")
        .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
        .to_owned();
    (child, base)
}

/// SplitMix64, a small seedable generator: the same seed replays the same choices. Not for
/// secrets.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items`, which must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
