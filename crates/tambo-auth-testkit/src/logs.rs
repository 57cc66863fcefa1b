//! What `tracing` logs while a test runs, for asserting what logs may never hold: a token or
//! any of its segments, a secret, an API key (docs/security.md H-14), or a line an identity
//! provider wrote for us.
//!
//! ```
//! use tambo_auth_testkit::logs;
//!
//! let logs = logs::capture();
//! tracing::info!(project = "p_demo", "token exchange");
//! assert!(logs.text().contains("p_demo"));
//! logs.assert_free_of(["tambo_pk_secret", "eyJhbGciOi.eyJzdWIiOi.c2ln"]);
//! ```

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use tracing::subscriber::DefaultGuard;

/// The events logged on this thread (every level, no colours) until it is dropped. A
/// current-thread tokio runtime (`#[tokio::test]`'s default) runs spawned tasks on this
/// thread too, so their events are captured.
pub struct LogCapture {
    buffer: Buffer,
    _guard: DefaultGuard,
    /// A second dispatcher registered while this capture lives, recording nothing. With a
    /// single registered dispatcher, tracing-core computes the interest of a callsite hit for
    /// the first time from the default subscriber of whichever thread hits it: a callsite first
    /// hit on another test's thread, which captures nothing, is cached as "never", and its
    /// events are then lost here too. With two, the interest is computed from all registered
    /// dispatchers ("sometimes"), and each event asks its own thread's subscriber. tracing
    /// offers no setting for this.
    _second: tracing::Dispatch,
}

/// Starts capturing this thread's events.
pub fn capture() -> LogCapture {
    // Registered first, so that ours is never the only registered dispatcher (see `_second`).
    let second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    // A callsite another test thread registered while this subscriber was being set may keep
    // an interest computed without it, and its events would be lost here: recompute them.
    tracing::callsite::rebuild_interest_cache();
    LogCapture {
        buffer,
        _guard: guard,
        _second: second,
    }
}

impl LogCapture {
    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock()).into_owned()
    }

    /// [`assert_free_of`] on everything captured so far.
    pub fn assert_free_of<S: AsRef<str>>(&self, secrets: impl IntoIterator<Item = S>) {
        assert_free_of(&self.text(), secrets);
    }
}

/// Panics when `text` (captured logs, a process's output) holds any of `secrets`, or, for a
/// compact JWS, any of its segments longer than 8 characters (a payload or a signature alone
/// is as telling). The panic message says which input leaked, never the secret itself.
pub fn assert_free_of<S: AsRef<str>>(text: &str, secrets: impl IntoIterator<Item = S>) {
    for (index, secret) in secrets.into_iter().enumerate() {
        let secret = secret.as_ref();
        let segments = secret.split('.').filter(|s| s.len() > 8);
        for part in std::iter::once(secret).chain(segments) {
            assert!(
                !text.contains(part),
                "secret #{index} (or a segment of it) reached the logs"
            );
        }
    }
}

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogCapture")
            .field("bytes", &self.buffer.lock().len())
            .finish()
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_first_seen_on_a_thread_without_a_capture_is_still_captured_here() {
        fn event() {
            tracing::warn!("an event whose callsite another thread registers");
        }
        let logs = capture();
        std::thread::spawn(event).join().expect("the other thread");
        event();
        assert!(
            logs.text().contains("another thread registers"),
            "{}",
            logs.text()
        );
    }
}
