//! Projects (the OAuth clients of the exchange) and how a request's `x-api-key` finds one.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest as _, Sha256};

use crate::{Error, ProviderRegistry};

/// A project: the client of the token exchange (`client_id` of the tokens it obtains).
///
/// It names the identity providers whose tokens it may exchange (its [`ProviderRegistry`]),
/// the audiences it may ask for besides the default one ([`TamboTokens::audience`]), and the
/// scopes it may be granted. By default it may ask for no other audience and no scope.
///
/// ```
/// # fn registry() -> tambo_auth::ProviderRegistry { tambo_auth::ProviderRegistry::builder().build().unwrap() }
/// use tambo_auth::exchange::Project;
///
/// let project = Project::new("p_demo", registry())
///     .audiences(["https://api.example.com"])
///     .scopes(["threads:read", "threads:write"]);
/// assert_eq!(project.id(), "p_demo");
/// assert!(project.allows_audience("https://api.example.com"));
/// assert!(project.grants_scope("threads:read"));
/// ```
///
/// [`TamboTokens::audience`]: crate::token::TamboTokens::audience
#[derive(Debug, Clone)]
pub struct Project {
    id: String,
    registry: ProviderRegistry,
    audiences: Vec<String>,
    scopes: Vec<String>,
}

impl Project {
    /// A project `id` whose users sign in with the providers of `registry`.
    pub fn new(id: impl Into<String>, registry: ProviderRegistry) -> Self {
        Self {
            id: id.into(),
            registry,
            audiences: Vec::new(),
            scopes: Vec::new(),
        }
    }

    /// Audiences (or `resource` URIs) this project may request in addition to the default
    /// audience. Replaces any earlier list; default: none.
    #[must_use]
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Scopes this project may be granted. Replaces any earlier list; default: none, so
    /// any request with a `scope` is refused with `invalid_scope`.
    #[must_use]
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The project id, the `client_id` of issued tokens.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The providers whose tokens this project exchanges.
    pub fn registry(&self) -> &ProviderRegistry {
        &self.registry
    }

    /// The audiences allowed besides the default one.
    pub fn allowed_audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The grantable scopes.
    pub fn grantable_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether `audience` is on this project's extra audience list (the default audience
    /// is always allowed and need not be listed).
    pub fn allows_audience(&self, audience: &str) -> bool {
        self.audiences.iter().any(|a| a == audience)
    }

    /// Whether `scope` may be granted.
    pub fn grants_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The client-authentication hook the application implements: turns the `x-api-key` header
/// into a project.
///
/// Return [`Error::InvalidClient`] for a key you do not know (answered 401 `invalid_client`),
/// [`Error::KeysUnavailable`] when your store is down (503 with `Retry-After`). The key is a
/// credential: never log it. [`StaticProjects`] is the implementation for fixed
/// configurations.
///
/// ```
/// use std::sync::Arc;
/// use async_trait::async_trait;
/// use tambo_auth::Error;
/// use tambo_auth::exchange::{Project, ProjectResolver};
///
/// struct FromDatabase; // your store
///
/// #[async_trait]
/// impl ProjectResolver for FromDatabase {
///     async fn resolve(&self, api_key: &str) -> Result<Arc<Project>, Error> {
///         let _ = api_key; // look its digest up, never the plaintext
///         Err(Error::InvalidClient { reason: "unknown API key" })
///     }
/// }
/// ```
#[async_trait]
pub trait ProjectResolver: Send + Sync + 'static {
    /// The project `api_key` belongs to.
    async fn resolve(&self, api_key: &str) -> Result<Arc<Project>, Error>;
}

/// A [`ProjectResolver`] over a fixed list of `(api key, project)` pairs.
///
/// Keys are given in plaintext or as `sha256:<64 hex digits>` (the SHA-256 of the key, so a
/// configuration file need not hold the key itself). Only digests are kept; a presented key
/// is hashed and compared with every digest in constant time over the digest bytes. `Debug`
/// shows project ids, never keys or digests.
///
/// ```
/// # fn registry() -> tambo_auth::ProviderRegistry { tambo_auth::ProviderRegistry::builder().build().unwrap() }
/// use std::sync::Arc;
/// use tambo_auth::exchange::{Project, StaticProjects};
///
/// let demo = Arc::new(Project::new("p_demo", registry()));
/// let projects = StaticProjects::new([
///     ("tambo_pk_demo", demo.clone()),
///     // sha256("tambo_pk_other"): the same project under a second key
///     ("sha256:13a8697dee3b2dc6106f612d1301904b6d70c551d578c36fd6591befd333e0ae", demo),
/// ])?;
/// assert!(!format!("{projects:?}").contains("tambo_pk_demo"));
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Clone)]
pub struct StaticProjects {
    entries: Arc<Vec<([u8; 32], Arc<Project>)>>,
}

/// The prefix of a key given as its SHA-256 digest.
const DIGEST_PREFIX: &str = "sha256:";

impl StaticProjects {
    /// A resolver over `entries`. A key that is empty, a `sha256:` value that is not 64 hex
    /// digits, or the same key twice is a configuration error naming `projects.api_keys`.
    pub fn new<I, K>(entries: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = (K, Arc<Project>)>,
        K: AsRef<str>,
    {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (key, project) in entries {
            let digest = key_digest(key.as_ref())?;
            if !seen.insert(digest) {
                return Err(Error::config(
                    "projects.api_keys",
                    format!(
                        "an API key is listed twice (the second time for project {})",
                        project.id()
                    ),
                ));
            }
            out.push((digest, project));
        }
        Ok(Self {
            entries: Arc::new(out),
        })
    }

    /// How many keys are configured.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is configured (every request is then refused).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The project whose key hashes to `digest`. Every entry is compared, each in constant
    /// time, so the time taken says nothing about which digest bytes matched.
    fn find(&self, digest: &[u8; 32]) -> Option<&Arc<Project>> {
        let mut found = None;
        for (candidate, project) in self.entries.iter() {
            if constant_time_eq(candidate, digest) && found.is_none() {
                found = Some(project);
            }
        }
        found
    }
}

impl fmt::Debug for StaticProjects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&str> = self.entries.iter().map(|(_, p)| p.id()).collect();
        ids.dedup();
        f.debug_struct("StaticProjects")
            .field("keys", &self.entries.len())
            .field("projects", &ids)
            .finish()
    }
}

#[async_trait]
impl ProjectResolver for StaticProjects {
    async fn resolve(&self, api_key: &str) -> Result<Arc<Project>, Error> {
        let digest: [u8; 32] = Sha256::digest(api_key.as_bytes()).into();
        self.find(&digest).cloned().ok_or(Error::InvalidClient {
            reason: "the API key is not known",
        })
    }
}

/// The digest a configured key stands for: `sha256:<hex>` decoded, or the key hashed.
fn key_digest(key: &str) -> Result<[u8; 32], Error> {
    if key.is_empty() {
        return Err(Error::config("projects.api_keys", "an API key is empty"));
    }
    let Some(hex) = key.strip_prefix(DIGEST_PREFIX) else {
        return Ok(Sha256::digest(key.as_bytes()).into());
    };
    let bad = || {
        Error::config(
            "projects.api_keys",
            "a `sha256:` key must be followed by 64 hexadecimal digits",
        )
    };
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return Err(bad());
    }
    let mut digest = [0u8; 32];
    for (out, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
        let hi = hex_value(pair[0]).ok_or_else(bad)?;
        let lo = hex_value(pair[1]).ok_or_else(bad)?;
        *out = (hi << 4) | lo;
    }
    Ok(digest)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Compares two digests without branching on their contents.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold back into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(id: &str) -> Arc<Project> {
        let registry = ProviderRegistry::builder().build().expect("empty registry");
        Arc::new(Project::new(id, registry))
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[tokio::test]
    async fn plaintext_and_digest_keys_resolve_to_their_project() {
        let digest = hex(&Sha256::digest(b"tambo_pk_b"));
        let projects = StaticProjects::new([
            ("tambo_pk_a".to_owned(), project("p_a")),
            (format!("sha256:{}", digest.to_uppercase()), project("p_b")),
        ])
        .expect("valid");
        assert_eq!(projects.resolve("tambo_pk_a").await.expect("a").id(), "p_a");
        assert_eq!(projects.resolve("tambo_pk_b").await.expect("b").id(), "p_b");
        let err = projects.resolve("tambo_pk_c").await.expect_err("unknown");
        assert_eq!(err.kind(), crate::ErrorKind::InvalidClient);
        // The digest itself is not a key.
        assert!(projects.resolve(&format!("sha256:{digest}")).await.is_err());
    }

    #[test]
    fn bad_configurations_name_the_field() {
        for bad in ["", "sha256:abc", &format!("sha256:{}", "g".repeat(64))] {
            let err = StaticProjects::new([(bad, project("p"))]).expect_err(bad);
            assert!(
                matches!(err, Error::Configuration { ref field, .. } if field == "projects.api_keys")
            );
        }
        let err =
            StaticProjects::new([("k", project("p")), ("k", project("q"))]).expect_err("duplicate");
        assert!(err.to_string().contains("twice"));
    }

    #[test]
    fn debug_shows_projects_not_keys() {
        let projects =
            StaticProjects::new([("tambo_pk_secret", project("p_demo"))]).expect("valid");
        let text = format!("{projects:?}");
        assert!(text.contains("p_demo"));
        assert!(!text.contains("tambo_pk_secret"));
        let digest = hex(&Sha256::digest(b"tambo_pk_secret"));
        assert!(!text.contains(&digest[..16]));
    }

    #[test]
    fn digests_compare_equal_only_when_every_byte_matches() {
        let a = [7u8; 32];
        let mut b = a;
        assert!(constant_time_eq(&a, &b));
        b[31] ^= 1;
        assert!(!constant_time_eq(&a, &b));
    }
}
