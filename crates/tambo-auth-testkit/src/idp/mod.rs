//! A fake OpenID provider on `127.0.0.1`: OIDC discovery and a JWKS you can rotate, poison,
//! slow down, break and switch off while a test runs.
//!
//! ```
//! use std::time::Duration;
//! use tambo_auth_testkit::idp::{Fault, TestIdp};
//! use tambo_auth_testkit::keys::fixtures;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let idp = TestIdp::builder().issuer_path("/tenant/v1").start().await;
//! assert!(idp.issuer().ends_with("/tenant/v1"));
//! assert_eq!(
//!     idp.discovery_url(),
//!     format!("{}/.well-known/openid-configuration", idp.issuer())
//! );
//!
//! // Rotation: publish a second key, then retire the first.
//! idp.add_key(fixtures().ec.clone());
//! idp.remove_key("idp-rsa-1");
//!
//! // Faults apply from the next request on; no remounting.
//! idp.set_jwks_fault(Some(Fault::Status(503)));
//! idp.set_jwks_fault(Some(Fault::Delay(Duration::from_millis(50))));
//! idp.set_jwks_fault(None);
//! assert_eq!(idp.jwks_requests(), 0);
//! # }
//! ```
//!
//! The server is a [`wiremock`] server. It runs on its own thread with its own tokio runtime,
//! so it answers even while the test's runtime is blocked, and its delays are real time.

mod fault;
mod responder;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::net::TcpSocket;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer};

pub use fault::Fault;
use responder::{IdpResponder, Routes, Shared, State, lock};

use crate::keys::{TestKey, fixtures};

/// How long [`TestIdp::stop`] waits for wiremock's thread to close the listening socket.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A running fake identity provider. See the [module documentation](self).
///
/// Dropping it shuts the server down.
pub struct TestIdp {
    routes: Arc<Routes>,
    state: Shared,
    port: u16,
    server: Option<MockServer>,
    /// While stopped: the port, bound but not listening, so connections are refused and no
    /// other socket takes the port before [`TestIdp::restart`].
    reserved: Option<TcpSocket>,
}

/// Configures a [`TestIdp`] before it starts. Obtained from [`TestIdp::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct TestIdpBuilder {
    issuer_path: String,
    trailing_slash: bool,
    keys: Option<Vec<TestKey>>,
    jwks_path: Option<String>,
    discovery: bool,
}

impl Default for TestIdpBuilder {
    fn default() -> Self {
        TestIdpBuilder {
            issuer_path: String::new(),
            trailing_slash: false,
            keys: None,
            jwks_path: None,
            discovery: true,
        }
    }
}

impl TestIdpBuilder {
    /// A path after the host in the issuer, like Supabase's `/auth/v1` or WorkOS's
    /// `/user_management/client_...`. Default: none, the issuer is `http://127.0.0.1:PORT`.
    /// A missing leading `/` is added.
    pub fn issuer_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.issuer_path = if path.is_empty() { path } else { rooted(path) };
        self
    }

    /// Whether the issuer ends in `/`, like Auth0's. Default: `false`.
    pub fn trailing_slash(mut self, yes: bool) -> Self {
        self.trailing_slash = yes;
        self
    }

    /// The published keys; the first one signs [`TestIdp::token`]. Default:
    /// `[fixtures().rsa]`.
    pub fn keys(mut self, keys: Vec<TestKey>) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Serve the JWKS at this path (a missing leading `/` is added) instead of
    /// `<issuer path>/.well-known/jwks.json`; discovery's `jwks_uri` follows.
    pub fn jwks_path(mut self, path: impl Into<String>) -> Self {
        self.jwks_path = Some(rooted(path.into()));
        self
    }

    /// Whether discovery is served (`true`, the default) or answers `404`, like Better Auth,
    /// Neon Auth and WorkOS's `user_management` issuer.
    pub fn discovery(mut self, serve: bool) -> Self {
        self.discovery = serve;
        self
    }

    /// Binds an ephemeral port on `127.0.0.1` and starts serving.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound: a broken test environment.
    pub async fn start(self) -> TestIdp {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .expect("a test IdP binds an ephemeral port on 127.0.0.1");
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();

        let base = format!("http://127.0.0.1:{port}");
        let mut issuer_path = self.issuer_path;
        if self.trailing_slash && !issuer_path.ends_with('/') {
            issuer_path.push('/');
        }
        let issuer = format!("{base}{issuer_path}");
        let prefix = trim_one_slash(&issuer_path);
        let routes = Arc::new(Routes {
            discovery_path: format!("{prefix}/.well-known/openid-configuration"),
            jwks_path: self
                .jwks_path
                .unwrap_or_else(|| format!("{prefix}/.well-known/jwks.json")),
            issuer,
            base,
        });
        let state = Arc::new(Mutex::new(State {
            keys: self.keys.unwrap_or_else(|| vec![fixtures().rsa.clone()]),
            jwks_body: None,
            discovery_enabled: self.discovery,
            discovery_issuer: None,
            jwks_uri: None,
            cache_control: None,
            jwks_fault: None,
            discovery_fault: None,
            jwks_requests: 0,
            discovery_requests: 0,
        }));
        let server = serve(listener, &routes, &state).await;
        TestIdp {
            routes,
            state,
            port,
            server: Some(server),
            reserved: None,
        }
    }
}

async fn serve(listener: TcpListener, routes: &Arc<Routes>, state: &Shared) -> MockServer {
    // Request recording is off: the responder counts, and recording would keep every
    // request of a long test in memory.
    let server = MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await;
    Mock::given(any())
        .respond_with(IdpResponder {
            routes: Arc::clone(routes),
            state: Arc::clone(state),
        })
        .mount(&server)
        .await;
    server
}

/// The path with a leading `/`, added when missing.
fn rooted(path: String) -> String {
    if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    }
}

fn trim_one_slash(text: &str) -> &str {
    text.strip_suffix('/').unwrap_or(text)
}

impl TestIdp {
    /// Starts an IdP with issuer `http://127.0.0.1:PORT` publishing `[fixtures().rsa]`.
    pub async fn start() -> TestIdp {
        TestIdp::builder().start().await
    }

    /// A builder for issuer paths, trailing slashes, keys, the JWKS path and discovery.
    pub fn builder() -> TestIdpBuilder {
        TestIdpBuilder::default()
    }

    /// The issuer: what [`TestIdp::token`] puts in `iss` and discovery returns in `issuer`
    /// (unless overridden with [`TestIdp::set_discovery_issuer`]).
    pub fn issuer(&self) -> String {
        self.routes.issuer.clone()
    }

    /// `http://127.0.0.1:PORT`, without a path or trailing slash.
    pub fn base_url(&self) -> String {
        self.routes.base.clone()
    }

    /// The issuer with one trailing `/` removed, then `/.well-known/openid-configuration`
    /// (OIDC Discovery 1.0 §4).
    pub fn discovery_url(&self) -> String {
        format!("{}{}", self.routes.base, self.routes.discovery_path)
    }

    /// Where the JWKS is served (discovery's `jwks_uri` unless overridden).
    pub fn jwks_url(&self) -> String {
        self.routes.jwks_url()
    }

    /// The port on `127.0.0.1`; it stays the same across [`TestIdp::stop`] and
    /// [`TestIdp::restart`].
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server is accepting connections (not [stopped](TestIdp::stop)).
    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Publishes the public JWKs of these keys, in this order, and clears any
    /// [`TestIdp::set_jwks_body`] override. The first key signs [`TestIdp::token`].
    pub fn set_keys(&self, keys: Vec<TestKey>) {
        let mut state = lock(&self.state);
        state.keys = keys;
        state.jwks_body = None;
    }

    /// Appends a key to the published set (the signing key stays the first one).
    pub fn add_key(&self, key: TestKey) {
        lock(&self.state).keys.push(key);
    }

    /// Removes every published key with this `kid`.
    pub fn remove_key(&self, kid: &str) {
        lock(&self.state).keys.retain(|key| key.kid() != kid);
    }

    /// The keys currently published (ignoring any [`TestIdp::set_jwks_body`] override).
    pub fn keys(&self) -> Vec<TestKey> {
        lock(&self.state).keys.clone()
    }

    /// The key [`TestIdp::token`] signs with: the first published key.
    pub fn signing_key(&self) -> Option<TestKey> {
        lock(&self.state).keys.first().cloned()
    }

    /// Serves this exact document as the JWKS instead of the keys' JWKs (poisoned or odd
    /// sets). [`TestIdp::set_keys`] clears it.
    pub fn set_jwks_body(&self, body: Value) {
        lock(&self.state).jwks_body = Some(body);
    }

    /// Overrides discovery's `issuer` (mismatch tests, OIDC Discovery 1.0 §4.3). Tokens from
    /// [`TestIdp::token`] keep [`TestIdp::issuer`].
    pub fn set_discovery_issuer(&self, issuer: impl Into<String>) {
        lock(&self.state).discovery_issuer = Some(issuer.into());
    }

    /// Overrides discovery's `jwks_uri` (SSRF and downgrade tests). The JWKS is still served
    /// at [`TestIdp::jwks_url`].
    pub fn set_jwks_uri(&self, uri: impl Into<String>) {
        lock(&self.state).jwks_uri = Some(uri.into());
    }

    /// Turns discovery on or off (off answers `404`) while running.
    pub fn set_discovery_enabled(&self, serve: bool) {
        lock(&self.state).discovery_enabled = serve;
    }

    /// The `Cache-Control` header on every JWKS answer, faults included; `None` (the default)
    /// sends none.
    pub fn set_cache_control(&self, value: Option<String>) {
        lock(&self.state).cache_control = value;
    }

    /// Answers JWKS requests with this fault until cleared with `None`.
    ///
    /// # Panics
    ///
    /// For a [`Fault::Status`] outside `100..=999`.
    pub fn set_jwks_fault(&self, fault: Option<Fault>) {
        if let Some(fault) = &fault {
            fault.validate();
        }
        lock(&self.state).jwks_fault = fault;
    }

    /// Answers discovery requests with this fault until cleared with `None`; a fault applies
    /// even when discovery is off.
    ///
    /// # Panics
    ///
    /// For a [`Fault::Status`] outside `100..=999`.
    pub fn set_discovery_fault(&self, fault: Option<Fault>) {
        if let Some(fault) = &fault {
            fault.validate();
        }
        lock(&self.state).discovery_fault = fault;
    }

    /// JWKS requests received since start or [`TestIdp::reset_counters`], faulted ones included.
    pub fn jwks_requests(&self) -> usize {
        lock(&self.state).jwks_requests
    }

    /// Discovery requests received since start or [`TestIdp::reset_counters`].
    pub fn discovery_requests(&self) -> usize {
        lock(&self.state).discovery_requests
    }

    /// Sets both request counters to zero.
    pub fn reset_counters(&self) {
        let mut state = lock(&self.state);
        state.jwks_requests = 0;
        state.discovery_requests = 0;
    }

    /// Stops serving: when this returns, connections to the port are refused, and open
    /// keep-alive connections have been closed. Keys, overrides and counters are kept for
    /// [`TestIdp::restart`]. Stopping a stopped IdP does nothing.
    ///
    /// # Panics
    ///
    /// When wiremock's thread does not release the port within 5 s.
    pub fn stop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        // Dropping the server signals its thread, which closes the listener shortly after.
        drop_off_runtime(server);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + STOP_TIMEOUT;
        // Binding without listening both waits for the listener to go (a bind fails while a
        // socket listens on the port) and keeps the port ours while stopped.
        loop {
            match reserve(addr) {
                Ok(socket) => {
                    self.reserved = Some(socket);
                    return;
                }
                // wiremock's thread closes the listener within moments of the drop: yield
                // until it has, bounded by the deadline.
                Err(_) if Instant::now() < deadline => std::thread::yield_now(),
                Err(error) => panic!("TestIdp::stop: port {} not released: {error}", self.port),
            }
        }
    }

    /// Serves again on the same port with the same state. Restarting a running IdP does
    /// nothing.
    ///
    /// # Panics
    ///
    /// When the port cannot be bound again; see [`TestIdp::try_restart`].
    pub async fn restart(&mut self) {
        if let Err(error) = self.try_restart().await {
            panic!("TestIdp::restart on port {}: {error}", self.port);
        }
    }

    /// [`TestIdp::restart`], returning the error when the port cannot be listened on again.
    pub async fn try_restart(&mut self) -> io::Result<()> {
        if self.server.is_some() {
            return Ok(());
        }
        let listener = match self.reserved.take() {
            Some(socket) => socket.listen(1024)?.into_std()?,
            None => TcpListener::bind((Ipv4Addr::LOCALHOST, self.port))?,
        };
        self.server = Some(serve(listener, &self.routes, &self.state).await);
        Ok(())
    }

    /// A token signed by the first published key, header
    /// `{"alg": key.default_alg(), "kid": key.kid(), "typ": "JWT"}`.
    ///
    /// # Panics
    ///
    /// When no key is published.
    pub fn token(&self, claims: &Value) -> String {
        let key = self
            .signing_key()
            .expect("TestIdp::token needs at least one published key");
        crate::jws::token(&key, claims)
    }

    /// [`crate::claims::claims`] with this IdP's issuer: `{iss, sub, iat, nbf, exp: +300, jti}`.
    pub fn claims(&self, sub: &str, now: u64) -> Value {
        crate::claims::claims(&self.routes.issuer, sub, now)
    }
}

/// Drops a wiremock server on a plain thread: its `Drop` waits on a lock, which inside a
/// tokio task whose cooperative budget is spent (after awaiting many futures) never wakes.
fn drop_off_runtime(server: MockServer) {
    let _ = std::thread::spawn(move || drop(server)).join();
}

impl Drop for TestIdp {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            drop_off_runtime(server);
        }
    }
}

fn reserve(addr: SocketAddr) -> io::Result<TcpSocket> {
    let socket = TcpSocket::new_v4()?;
    // Without SO_REUSEADDR the bind would fail on the old connections' TIME_WAIT entries.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    Ok(socket)
}

impl fmt::Debug for TestIdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("TestIdp")
            .field("issuer", &self.routes.issuer)
            .field("running", &self.is_running())
            .field("keys", &state.keys)
            .field("jwks_fault", &state.jwks_fault)
            .field("discovery_fault", &state.discovery_fault)
            .finish_non_exhaustive()
    }
}
