//! Timestamps and identifiers for stored rows.
//!
//! Times are microseconds since the Unix epoch, strictly increasing within the process so that
//! rows written one after another (a thread's initial messages, above all) keep their order;
//! rows written at the same microsecond by two replicas are ordered by id.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::StoreError;

static LAST_MICROS: AtomicI64 = AtomicI64::new(0);

/// `time` in whole seconds since the Unix epoch (0 before it).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Now, in whole seconds since the Unix epoch: the unit of revocations, keys and projects.
pub(crate) fn unix_now() -> i64 {
    unix_seconds(SystemTime::now())
}

/// Now, in microseconds since the Unix epoch, greater than every earlier answer.
pub(crate) fn now_micros() -> i64 {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
    let mut last = LAST_MICROS.load(Ordering::Relaxed);
    loop {
        let next = wall.max(last.saturating_add(1));
        match LAST_MICROS.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// RFC 3339 in UTC with exactly six fractional digits and `Z`: `time`'s `Rfc3339` trims
/// trailing zeros from the fraction, so the description is spelled out here.
const RFC3339_MICROS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// RFC 3339 in UTC with exactly six fractional digits, e.g. `2026-05-01T12:00:00.123456Z`.
/// The fixed width makes the strings sort like the instants they name.
pub(crate) fn rfc3339(micros: i64) -> Result<String, StoreError> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .map_err(|_| StoreError::Internal("a stored time is out of range"))?
        .format(RFC3339_MICROS)
        .map_err(|_| StoreError::Internal("a stored time cannot be written as RFC 3339"))
}

/// Crockford's base32 alphabet in lower case: no `i`, `l`, `o`, `u`.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new identifier: `prefix`, `_`, then 26 base32 characters of 128 random bits.
pub(crate) fn new_id(prefix: &str) -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|_| StoreError::Internal("the system random number generator failed"))?;
    let mut bits = u128::from_be_bytes(bytes);
    let mut id = String::with_capacity(prefix.len() + 27);
    id.push_str(prefix);
    id.push('_');
    let mut chars = [0u8; 26];
    for c in chars.iter_mut().rev() {
        *c = ALPHABET[(bits & 31) as usize];
        bits >>= 5;
    }
    id.extend(chars.iter().map(|&c| char::from(c)));
    Ok(id)
}

/// Whether `s` could be an identifier this module made (cursors carry one).
pub(crate) fn looks_like_id(s: &str) -> bool {
    let Some((prefix, rest)) = s.split_once('_') else {
        return false;
    };
    !prefix.is_empty()
        && prefix.bytes().all(|b| b.is_ascii_lowercase())
        && rest.len() == 26
        && rest.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_strictly_increase() {
        let mut last = now_micros();
        for _ in 0..10_000 {
            let next = now_micros();
            assert!(next > last);
            last = next;
        }
    }

    #[test]
    fn times_format_as_fixed_width_rfc3339() {
        // Whole seconds and whole milliseconds keep all six digits, so strings sort as times.
        for (micros, text) in [
            (0, "1970-01-01T00:00:00.000000Z"),
            (1_777_636_800_123_456, "2026-05-01T12:00:00.123456Z"),
            (1_777_636_800_000_000, "2026-05-01T12:00:00.000000Z"),
            (1_777_636_800_120_000, "2026-05-01T12:00:00.120000Z"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999Z"),
        ] {
            assert_eq!(rfc3339(micros).unwrap(), text);
        }
        assert!(rfc3339(253_402_300_800_000_000).is_err(), "year 10000");
    }

    #[test]
    fn ids_have_a_prefix_and_26_random_characters() {
        let a = new_id("thr").unwrap();
        let b = new_id("thr").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 30);
        assert!(a.starts_with("thr_"));
        assert!(looks_like_id(&a));
        assert!(!looks_like_id("thr_short"));
        assert!(!looks_like_id("thr_IIIIIIIIIIIIIIIIIIIIIIIIII"));
    }
}
