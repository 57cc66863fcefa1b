//! [`RateLimits`]: how many exchanges a client address, a project and a user may make, on
//! governor's keyed GCRA limiters.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use http::HeaderMap;
use ipnet::IpNet;

use crate::Error;
use crate::clock::{SharedClock, SystemClock};

/// A budget: `per_minute` requests a minute on average, and bursts of up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    per_minute: NonZeroU32,
    burst: NonZeroU32,
}

impl Rate {
    /// `per_minute` a minute, in bursts of as many; `None` when zero.
    pub fn per_minute(per_minute: u32) -> Option<Rate> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(Rate {
            per_minute,
            burst: per_minute,
        })
    }

    /// The same rate with bursts of up to `burst` (at least 1).
    #[must_use]
    pub fn burst(self, burst: u32) -> Rate {
        Rate {
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
            ..self
        }
    }

    fn quota(self) -> Quota {
        Quota::per_minute(self.per_minute).allow_burst(self.burst)
    }
}

/// Rate limits of the token endpoint (docs/security.md H-02). Each limit is optional; an
/// exchange over one is refused with 429 [`ErrorKind::RateLimited`](crate::ErrorKind) and
/// `Retry-After`, before the work it would cost:
///
/// - **per client address**, checked first: the address the connection comes from, or, when
///   that is a [trusted proxy](RateLimits::trusted_proxies), the last address before the
///   trusted ones in `X-Forwarded-For` (never the header otherwise: any client can write it).
///   IPv6 clients count per /64, the block one subscriber usually holds. A subject token that
///   fails verification spends [`failure_cost`](RateLimits::failure_cost) requests of it, so
///   guessing is throttled long before use is;
/// - **per project**, once the API key names it;
/// - **per subject** (the user's context key in the project), once the token is verified.
///
/// The address comes from the request's extensions: axum's `ConnectInfo<SocketAddr>` (serve
/// with `into_make_service_with_connect_info::<SocketAddr>()`) or a plain `SocketAddr`.
/// Without either the per-address limit does not apply.
///
/// ```
/// use tambo_auth::exchange::{Rate, RateLimits};
///
/// let limits = RateLimits::new()
///     .per_client(Rate::per_minute(60).map(|r| r.burst(20)))
///     .per_subject(Rate::per_minute(30))
///     .per_project(Rate::per_minute(6000))
///     .failure_cost(6)
///     .trusted_proxies(["10.0.0.0/8"])?;
/// # Ok::<(), tambo_auth::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct RateLimits {
    per_client: Option<Rate>,
    per_project: Option<Rate>,
    per_subject: Option<Rate>,
    failure_cost: NonZeroU32,
    trusted_proxies: Vec<IpNet>,
    clock: SharedClock,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_client", &self.per_client)
            .field("per_project", &self.per_project)
            .field("per_subject", &self.per_subject)
            .field("failure_cost", &self.failure_cost)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl RateLimits {
    /// No limit yet, a failure costing one request, no trusted proxy.
    pub fn new() -> Self {
        Self {
            per_client: None,
            per_project: None,
            per_subject: None,
            failure_cost: NonZeroU32::MIN,
            trusted_proxies: Vec::new(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The budget of each client address (`None`: unlimited).
    pub fn per_client(mut self, rate: Option<Rate>) -> Self {
        self.per_client = rate;
        self
    }

    /// The budget of each project (`None`: unlimited). Its API key is public, so anyone can
    /// spend it: keep it well above the project's real traffic.
    pub fn per_project(mut self, rate: Option<Rate>) -> Self {
        self.per_project = rate;
        self
    }

    /// The budget of each user of a project (`None`: unlimited).
    pub fn per_subject(mut self, rate: Option<Rate>) -> Self {
        self.per_subject = rate;
        self
    }

    /// How many requests of its address's budget a subject token that fails verification
    /// spends (default 1, at least 1).
    pub fn failure_cost(mut self, cost: u32) -> Self {
        self.failure_cost = NonZeroU32::new(cost).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// The proxies in front of the server (addresses or CIDR blocks), whose
    /// `X-Forwarded-For` is believed. Default: none, so the header is ignored.
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for proxy in proxies {
            let proxy = proxy.as_ref();
            let net = proxy
                .parse::<IpNet>()
                .or_else(|_| proxy.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    Error::config(
                        "trusted_proxies",
                        format!("{proxy:?} is not an IP address or a CIDR block"),
                    )
                })?;
            self.trusted_proxies.push(net);
        }
        Ok(self)
    }

    /// The clock the budgets refill by (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    pub(crate) fn build(self) -> Limiters {
        let clock = LimiterClock(self.clock);
        Limiters {
            client: Keyed::new(self.per_client, &clock),
            project: Keyed::new(self.per_project, &clock),
            subject: Keyed::new(self.per_subject, &clock),
            failure_cost: self.failure_cost,
            trusted_proxies: self.trusted_proxies,
            clock,
        }
    }
}

/// governor's view of our clock, so tests drive the budgets with a `ManualClock`.
#[derive(Clone)]
struct LimiterClock(SharedClock);

impl GovernorClock for LimiterClock {
    type Instant = SystemTime;

    fn now(&self) -> SystemTime {
        self.0.now()
    }
}

/// One keyed limiter, pruned of keys back at a full budget every [`PRUNE_EVERY`] checks so
/// that the number of addresses it remembers stays bounded by recent traffic.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limiter: RateLimiter<K, HashMapStateStore<K>, LimiterClock, NoOpMiddleware<SystemTime>>,
    calls: AtomicU32,
}

const PRUNE_EVERY: u32 = 1024;

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn new(rate: Option<Rate>, clock: &LimiterClock) -> Option<Self> {
        rate.map(|rate| Keyed {
            limiter: RateLimiter::hashmap_with_clock(rate.quota(), clock.clone()),
            calls: AtomicU32::new(0),
        })
    }

    fn check(&self, key: &K, limit: &'static str, clock: &LimiterClock) -> Result<(), Error> {
        if self.calls.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| Error::RateLimited {
                limit,
                retry_after: not_until
                    .wait_time_from(clock.now())
                    .max(Duration::from_secs(1)),
            })
    }
}

/// The limiters of one [`TokenExchange`](super::TokenExchange).
pub(crate) struct Limiters {
    client: Option<Keyed<IpAddr>>,
    project: Option<Keyed<String>>,
    /// Keyed by project id, NUL, context key.
    subject: Option<Keyed<String>>,
    failure_cost: NonZeroU32,
    trusted_proxies: Vec<IpNet>,
    clock: LimiterClock,
}

impl Limiters {
    /// The client address a request counts against: its peer, or the first untrusted
    /// address in `X-Forwarded-For` when the peer is a trusted proxy; IPv6 per /64.
    pub(crate) fn client(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?.ip());
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        let mut client = peer;
        if trusted(&peer) {
            // Right to left: each trusted proxy appended the address it received from.
            let forwarded = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .collect::<Vec<_>>();
            for hop in forwarded.iter().rev() {
                match hop.trim().parse::<IpAddr>() {
                    Ok(ip) => {
                        client = canonical(ip);
                        if !trusted(&client) {
                            break;
                        }
                    }
                    // What no proxy of ours wrote: stop at the last trusted hop.
                    Err(_) => break,
                }
            }
        }
        Some(match client {
            IpAddr::V6(v6) => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
            v4 => v4,
        })
    }

    pub(crate) fn admit_client(&self, client: Option<IpAddr>) -> Result<(), Error> {
        match (&self.client, client) {
            (Some(keyed), Some(ip)) => keyed.check(&ip, "client", &self.clock),
            _ => Ok(()),
        }
    }

    pub(crate) fn admit_project(&self, project: &str) -> Result<(), Error> {
        match &self.project {
            Some(keyed) => keyed.check(&project.to_owned(), "project", &self.clock),
            None => Ok(()),
        }
    }

    pub(crate) fn admit_subject(&self, project: &str, subject: &str) -> Result<(), Error> {
        match &self.subject {
            Some(keyed) => keyed.check(&format!("{project}\0{subject}"), "subject", &self.clock),
            None => Ok(()),
        }
    }

    /// A subject token from `client` failed verification: it spends the rest of the
    /// failure's cost (the request itself spent one), or what is left of the budget.
    pub(crate) fn failed(&self, client: Option<IpAddr>) {
        if let (Some(keyed), Some(ip)) = (&self.client, client) {
            for _ in 1..self.failure_cost.get() {
                if keyed.limiter.check_key(&ip).is_err() {
                    break;
                }
            }
        }
    }
}

/// An IPv4-mapped IPv6 address is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}
