//! Assertions on refusals: a result that must be an error of one exact kind, whose message
//! names what the integrator has to fix.
//!
//! The testkit does not depend on the crate under test (that would be a dependency cycle), so
//! [`assert_refused!`](crate::assert_refused) is a macro: it calls the error's own `kind()`
//! method and its `Display` text, whatever the error type.
//!
//! ```
//! use std::fmt;
//! use tambo_auth_testkit::assert_refused;
//!
//! #[derive(Debug, PartialEq)]
//! enum Kind {
//!     Opaque,
//! }
//!
//! #[derive(Debug)]
//! struct Refusal;
//!
//! impl Refusal {
//!     fn kind(&self) -> Kind {
//!         Kind::Opaque
//!     }
//! }
//!
//! impl fmt::Display for Refusal {
//!     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
//!         f.write_str("an opaque token: send `session.access_token` instead")
//!     }
//! }
//!
//! let result: Result<u32, Refusal> = Err(Refusal);
//! let refusal = assert_refused!(result, Kind::Opaque, "opaque", "session.access_token");
//! assert_eq!(refusal.kind(), Kind::Opaque);
//! ```

use std::fmt::Display;

/// Asserts that `message` (an error's `Display` text) contains each of `texts`.
///
/// # Panics
///
/// Naming the first text the message lacks, and the whole message.
#[track_caller]
pub fn assert_mentions(message: &impl Display, texts: &[&str]) {
    let message = message.to_string();
    for text in texts {
        assert!(
            message.contains(text),
            "the message {message:?} does not mention {text:?}"
        );
    }
}

/// Asserts that `message` (a configuration error's `Display` text) opens by naming `field` the
/// way tambo-auth writes it, ``invalid configuration `field`: ``, and mentions each of `texts`.
///
/// With the error's kind asserted first ([`assert_refused!`](crate::assert_refused)), this pins
/// which setting a misconfiguration is reported against, whatever the adapter.
///
/// ```
/// use tambo_auth_testkit::refusal::assert_names_field;
///
/// assert_names_field(&"invalid configuration `audience`: set the API identifier", "audience", &["API"]);
/// ```
///
/// # Panics
///
/// When the message names another field or none, or lacks one of `texts`.
#[track_caller]
pub fn assert_names_field(message: &impl Display, field: &str, texts: &[&str]) {
    let message = message.to_string();
    let named = format!("invalid configuration `{field}`: ");
    assert!(
        message.starts_with(&named),
        "the message {message:?} does not name the field `{field}`"
    );
    assert_mentions(&message, texts);
}

/// Asserts that a `Result` is an error of the given kind whose message contains each given
/// text, and evaluates to that error for further checks.
///
/// `assert_refused!(result, kind, text...)` needs only an error type with a `kind()` method
/// returning something `PartialEq + Debug`, and `Display`; the `Ok` type must be `Debug`, so a
/// wrongly accepted value is shown. See the [module documentation](crate::refusal).
#[macro_export]
macro_rules! assert_refused {
    ($result:expr, $kind:expr $(, $text:expr)* $(,)?) => {
        match $result {
            ::core::result::Result::Ok(accepted) => ::core::panic!(
                "expected a refusal of kind {:?}, got Ok({:?})",
                $kind,
                accepted
            ),
            ::core::result::Result::Err(refusal) => {
                ::core::assert_eq!(refusal.kind(), $kind, "{}", refusal);
                $crate::refusal::assert_mentions(&refusal, &[$($text),*]);
                refusal
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::fmt;

    #[derive(Debug, PartialEq)]
    enum Kind {
        Expired,
        Opaque,
    }

    #[derive(Debug)]
    struct Refusal(Kind, &'static str);

    impl Refusal {
        fn kind(&self) -> &Kind {
            &self.0
        }
    }

    impl fmt::Display for Refusal {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.1)
        }
    }

    fn expired() -> Result<(), Refusal> {
        Err(Refusal(Kind::Expired, "the token expired at 1700000000"))
    }

    #[test]
    fn a_refusal_of_the_kind_naming_every_text_passes_and_is_returned() {
        let refusal = assert_refused!(expired(), &Kind::Expired, "expired", "1700000000");
        assert_eq!(refusal.1, "the token expired at 1700000000");
        assert_refused!(expired(), &Kind::Expired);
    }

    #[test]
    #[should_panic(expected = "expected a refusal of kind Opaque, got Ok(7)")]
    fn an_accepted_value_fails() {
        let accepted: Result<u32, Refusal> = Ok(7);
        assert_refused!(accepted, &Kind::Opaque);
    }

    #[test]
    #[should_panic(expected = "the token expired at 1700000000")]
    fn another_kind_fails() {
        assert_refused!(expired(), &Kind::Opaque);
    }

    #[test]
    fn a_configuration_error_names_its_field() {
        let message = "invalid configuration `issuer`: use https";
        super::assert_names_field(&message, "issuer", &["https"]);
    }

    #[test]
    #[should_panic(expected = "does not name the field `audience`")]
    fn a_configuration_error_of_another_field_fails() {
        super::assert_names_field(
            &"invalid configuration `issuer`: use https",
            "audience",
            &[],
        );
    }

    #[test]
    #[should_panic(expected = "does not mention \"banned\"")]
    fn a_missing_text_fails() {
        assert_refused!(expired(), &Kind::Expired, "expired", "banned");
    }
}
