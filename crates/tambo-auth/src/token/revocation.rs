//! Revocation of Tambo tokens: one token by `jti`, or every token of a user issued before a
//! time.
//!
//! The check runs on every request, so it is synchronous and must not do I/O: a server backs
//! it with an in-memory view it refreshes from its database (as the reference server does),
//! and the layer's cache re-checks it on every hit, so a revocation takes effect on the next
//! request.

use arc_swap::ArcSwap;
use std::collections::HashMap;
use std::fmt::Debug;

use crate::ContextKey;

/// What a revocation check sees of a token.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct TokenRef<'a> {
    /// The token's `jti`.
    pub jti: &'a str,
    /// The project (`client_id`).
    pub project: &'a str,
    /// The user.
    pub context_key: &'a ContextKey,
    /// `iat`, seconds since the epoch.
    pub issued_at: i64,
}

impl<'a> TokenRef<'a> {
    /// A token reference.
    pub fn new(
        jti: &'a str,
        project: &'a str,
        context_key: &'a ContextKey,
        issued_at: i64,
    ) -> Self {
        Self {
            jti,
            project,
            context_key,
            issued_at,
        }
    }
}

/// Decides whether a token was revoked.
pub trait Revocations: Send + Sync + Debug + 'static {
    /// Whether `token` is revoked.
    fn is_revoked(&self, token: TokenRef<'_>) -> bool;
}

/// No revocation at all.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRevocations;

impl Revocations for NoRevocations {
    fn is_revoked(&self, _: TokenRef<'_>) -> bool {
        false
    }
}

/// Revocations held in memory.
///
/// ```
/// use tambo_auth::ContextKey;
/// use tambo_auth::token::{MemoryRevocations, Revocations, TokenRef};
///
/// let revocations = MemoryRevocations::default();
/// let alice = ContextKey::derive("https://idp.example", None, "alice");
/// revocations.revoke_user("p_demo", &alice, 1_700_000_000);
/// assert!(revocations.is_revoked(TokenRef::new("j1", "p_demo", &alice, 1_699_999_999)));
/// assert!(!revocations.is_revoked(TokenRef::new("j2", "p_demo", &alice, 1_700_000_000)));
/// revocations.revoke_token("j2", 1_700_000_900);
/// assert!(revocations.is_revoked(TokenRef::new("j2", "p_demo", &alice, 1_700_000_000)));
/// ```
///
/// Checks read an immutable snapshot (an [`ArcSwap`] load, no lock: they run on every
/// request); a revocation copies the lists and publishes the copy, which suits revocations
/// being rare next to requests.
#[derive(Debug, Default)]
pub struct MemoryRevocations {
    lists: ArcSwap<Lists>,
}

#[derive(Debug, Default, Clone)]
struct Lists {
    tokens: HashMap<String, i64>,
    /// Project → user → revoked before. Nested so a lookup borrows and never allocates.
    users: HashMap<String, HashMap<ContextKey, i64>>,
}

impl MemoryRevocations {
    /// Revokes the token `jti`; `expires_at` lets [`prune`](Self::prune) forget it later.
    pub fn revoke_token(&self, jti: impl Into<String>, expires_at: i64) {
        let jti = jti.into();
        self.lists.rcu(|lists| {
            let mut next = Lists::clone(lists);
            next.tokens.insert(jti.clone(), expires_at);
            next
        });
    }

    /// Revokes every token of `user` in `project` issued before `before` (seconds).
    pub fn revoke_user(&self, project: &str, user: &ContextKey, before: i64) {
        self.lists.rcu(|lists| {
            let mut next = Lists::clone(lists);
            let entry = next
                .users
                .entry(project.to_owned())
                .or_default()
                .entry(user.clone())
                .or_insert(before);
            *entry = (*entry).max(before);
            next
        });
    }

    /// Forgets token revocations whose tokens expired before `now` (seconds).
    pub fn prune(&self, now: i64) {
        self.lists.rcu(|lists| {
            let mut next = Lists::clone(lists);
            next.tokens.retain(|_, exp| *exp >= now);
            next
        });
    }
}

impl Revocations for MemoryRevocations {
    fn is_revoked(&self, token: TokenRef<'_>) -> bool {
        let lists = self.lists.load();
        lists.tokens.contains_key(token.jti)
            || lists
                .users
                .get(token.project)
                .and_then(|project| project.get(token.context_key))
                .is_some_and(|before| token.issued_at < *before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn alice() -> ContextKey {
        ContextKey::derive("https://idp.example", None, "alice")
    }

    fn revoked(r: &MemoryRevocations, jti: &str, issued_at: i64) -> bool {
        r.is_revoked(TokenRef::new(jti, "p_demo", &alice(), issued_at))
    }

    #[test]
    fn a_user_cutoff_only_moves_later_and_prune_forgets_expired_tokens() {
        let r = MemoryRevocations::default();
        r.revoke_user("p_demo", &alice(), 2_000);
        r.revoke_user("p_demo", &alice(), 1_000);
        assert!(revoked(&r, "j", 1_500), "the later cutoff stands");
        assert!(!revoked(&r, "j", 2_000));
        assert!(
            !r.is_revoked(TokenRef::new("j", "p_other", &alice(), 1_500)),
            "another project's tokens are not affected"
        );
        r.revoke_token("old", 100);
        r.revoke_token("live", 900);
        r.prune(500);
        assert!(!revoked(&r, "old", 3_000));
        assert!(revoked(&r, "live", 3_000));
    }

    #[test]
    fn concurrent_revocations_are_all_kept() {
        let r = Arc::new(MemoryRevocations::default());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let r = Arc::clone(&r);
                std::thread::spawn(move || {
                    for i in 0..100 {
                        r.revoke_token(format!("jti-{t}-{i}"), 10_000);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("no thread panicked");
        }
        for t in 0..4 {
            for i in 0..100 {
                assert!(revoked(&r, &format!("jti-{t}-{i}"), 3_000), "{t}-{i}");
            }
        }
    }
}
