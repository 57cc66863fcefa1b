//! Bounded HTTP GETs for discovery documents and key sets: short timeouts, a body cap, no
//! redirects, no proxy, https only, and only globally reachable addresses (loopback when
//! explicitly allowed).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::Error;

/// Limits for every fetch of identity-provider metadata.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchPolicy {
    /// Time to establish a connection (default 1 s).
    pub connect_timeout: Duration,
    /// Time for the whole request, body included (default 3 s).
    pub timeout: Duration,
    /// Largest accepted body (default 64 KiB); larger answers are cut off and refused.
    pub max_body: usize,
    /// Permits plain `http` to `127.0.0.0/8` and `[::1]` literals, and https hosts that
    /// resolve to loopback (default `false`): for tests, development and sidecar identity
    /// providers. Nothing else private is ever reachable.
    pub allow_loopback_http: bool,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(3),
            max_body: 64 * 1024,
            allow_loopback_http: false,
        }
    }
}

/// A fetched document and the freshness its server announced.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Vec<u8>,
    pub(crate) max_age: Option<Duration>,
}

/// The HTTP client with our limits built in.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl Fetcher {
    pub(crate) fn new(policy: FetchPolicy) -> Result<Fetcher, Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the name itself, past the address check below.
            .no_proxy()
            .dns_resolver(Arc::new(PublicResolver {
                allow_loopback: policy.allow_loopback_http,
            }))
            .user_agent(concat!("tambo-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::config("http", format!("the HTTP client cannot start: {e}")))?;
        Ok(Fetcher { client, policy })
    }

    /// Whether `url` may be fetched at all under this policy.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), String> {
        check_url(url, self.policy.allow_loopback_http)
    }

    /// GETs `url` and returns its body, refusing anything but a 200 within the limits.
    pub(crate) async fn get(&self, url: &Url) -> Result<Fetched, String> {
        let request = self.request(reqwest::Method::GET, url)?;
        let answer = self.send(request).await?;
        if answer.status != reqwest::StatusCode::OK {
            return Err(format!("answered {}", answer.status));
        }
        Ok(answer.fetched)
    }

    /// A request to `url` with this policy's client, once `url` passed
    /// [`check_url`](Self::check_url); it asks for JSON.
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        url: &Url,
    ) -> Result<reqwest::RequestBuilder, String> {
        self.check_url(url)?;
        Ok(self
            .client
            .request(method, url.clone())
            .header(http::header::ACCEPT, "application/json"))
    }

    /// Sends `request` and reads a successful answer's body within the limits. A redirect is
    /// an error; another status is returned with an empty body.
    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, String> {
        let mut response = request
            .send()
            .await
            .map_err(|e| describe_reqwest_error(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(format!("answered {status}; redirects are not followed"));
        }
        let mut fetched = Fetched {
            body: Vec::new(),
            max_age: None,
        };
        if !status.is_success() {
            return Ok(Answer { status, fetched });
        }
        let max = self.policy.max_body;
        if response
            .content_length()
            .is_some_and(|len| len > max as u64)
        {
            return Err(format!("the body is larger than {max} bytes"));
        }
        fetched.max_age = response
            .headers()
            .get(http::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_max_age);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| describe_reqwest_error(&e))?
        {
            if fetched.body.len() + chunk.len() > max {
                return Err(format!("the body is larger than {max} bytes"));
            }
            fetched.body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, fetched })
    }
}

/// An answer: its status and, when it succeeded, its body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: reqwest::StatusCode,
    pub(crate) fetched: Fetched,
}

fn describe_reqwest_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect".into()
    } else {
        // reqwest errors name the URL, which is configuration, never a token.
        format!("request failed: {e}")
    }
}

/// `Cache-Control: max-age=N` in seconds; `no-cache` and `no-store` read as zero, which the
/// caller clamps to its minimum.
fn parse_max_age(value: &str) -> Option<Duration> {
    let mut result = None;
    for directive in value.split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        if directive == "no-store" || directive == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(secs) = directive.strip_prefix("max-age=") {
            result = secs
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    result
}

/// Whether `url` is plain http to a loopback IP literal (which needs `allow_loopback_http`).
pub fn is_loopback_http_url(url: &Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        }
}

pub(crate) fn check_url(url: &Url, allow_loopback: bool) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("URLs with credentials are refused".into());
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_loopback && is_loopback_http_url(url) => return Ok(()),
        "http" => {
            return Err("plain http is refused (only loopback, with allow_loopback_http)".into());
        }
        other => return Err(format!("the scheme {other} is refused")),
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err("the URL has no host".into()),
    };
    if address_allowed(ip, allow_loopback) {
        Ok(())
    } else {
        Err("the URL points at a private, loopback or link-local address".into())
    }
}

/// Whether a fetch may connect to `ip`: a globally reachable unicast address, or loopback
/// when `allow_loopback` is set.
fn address_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    if ip.is_loopback() {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(v4) => !NOT_GLOBAL_V4.iter().any(|net| net.contains(&v4)),
        IpAddr::V6(v6) => !NOT_GLOBAL_V6.iter().any(|net| net.contains(&v6)),
    }
}

// The standard library's `is_global` is unstable, and the stable backports (`ip_rfc`, 2020)
// predate the registries' current entries; neither refuses NAT64 `64:ff9b::/96`, which is
// "globally reachable" in the IANA registry but reaches any IPv4 address, private ones
// included, through a translator. So the ranges are listed here, from the IANA IPv4 and IPv6
// Special-Purpose Address Registries (every entry not globally reachable; whole blocks where
// the registry carves out a few global addresses no identity provider uses), plus multicast
// and the blocks that embed an IPv4 address.
const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

const fn v6([a, b, c, d]: [u16; 4], len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0), len)
}

const NOT_GLOBAL_V4: [Ipv4Net; 15] = [
    v4(0, 0, 0, 0, 8),       // "this network"
    v4(10, 0, 0, 0, 8),      // private
    v4(100, 64, 0, 0, 10),   // shared address space (carrier-grade NAT)
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local (cloud metadata services)
    v4(172, 16, 0, 0, 12),   // private
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation
    v4(192, 88, 99, 0, 24),  // deprecated 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation
    v4(203, 0, 113, 0, 24),  // documentation
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, and the limited broadcast address
];

const NOT_GLOBAL_V6: [Ipv6Net; 14] = [
    v6([0, 0, 0, 0], 64), // unspecified, loopback, IPv4-compatible, -mapped, -translated
    v6([0x64, 0xff9b, 0, 0], 96), // NAT64 well-known prefix: any IPv4 address behind it
    v6([0x64, 0xff9b, 1, 0], 48), // local-use IPv4/IPv6 translation
    v6([0x100, 0, 0, 0], 64), // discard-only
    v6([0x100, 0, 0, 1], 64), // dummy prefix
    v6([0x2001, 0, 0, 0], 23), // IETF protocol assignments (Teredo embeds IPv4)
    v6([0x2001, 0xdb8, 0, 0], 32), // documentation
    v6([0x2002, 0, 0, 0], 16), // 6to4: any IPv4 address behind it
    v6([0x3fff, 0, 0, 0], 20), // documentation
    v6([0x5f00, 0, 0, 0], 16), // segment routing (SRv6) SIDs
    v6([0xfc00, 0, 0, 0], 7), // unique local
    v6([0xfe80, 0, 0, 0], 10), // link-local
    v6([0xfec0, 0, 0, 0], 10), // site-local (deprecated)
    v6([0xff00, 0, 0, 0], 8), // multicast
];

/// Resolves names and drops private, loopback and link-local answers, so a public host name
/// that resolves to `169.254.169.254` is never fetched (RFC 8725 bis §3.10).
#[derive(Debug)]
struct PublicResolver {
    allow_loopback: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| address_allowed(a.ip(), allow_loopback))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_or_allowed_loopback_literals() {
        let ok = |s: &str, lb| check_url(&Url::parse(s).unwrap(), lb).is_ok();
        assert!(ok("https://idp.example/jwks", false));
        assert!(!ok("http://idp.example/jwks", false));
        assert!(!ok("http://idp.example/jwks", true));
        assert!(!ok("http://localhost:80/jwks", true));
        assert!(ok("http://127.0.0.1:80/jwks", true));
        assert!(ok("http://127.0.0.2:80/jwks", true));
        assert!(ok("http://[::1]:80/jwks", true));
        assert!(!ok("http://127.0.0.1:80/jwks", false));
        assert!(!ok("https://169.254.169.254/latest", true));
        assert!(!ok("https://10.0.0.1/jwks", true));
        assert!(!ok("https://[fd00::1]/jwks", true));
        assert!(!ok("https://[::ffff:192.168.0.1]/jwks", true));
        assert!(!ok("https://[64:ff9b::a9fe:a9fe]/jwks", false));
        assert!(!ok("https://user:pw@idp.example/jwks", false));
        assert!(!ok("ftp://idp.example/jwks", false));
    }

    #[test]
    fn only_globally_reachable_addresses_are_fetched() {
        let refused = [
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::ffff:10.0.0.1",
            "::ffff:8.8.8.8",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:a9fe:a9fe::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ];
        for ip in refused {
            let ip: IpAddr = ip.parse().expect(ip);
            assert!(!address_allowed(ip, false), "{ip} must be refused");
            assert!(!address_allowed(ip, true), "{ip} is not loopback");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "198.17.255.255",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2a00:1450::1",
            "64:ff9c::1",
            "2003::1",
        ] {
            let ip: IpAddr = ip.parse().expect(ip);
            assert!(address_allowed(ip, false), "{ip} is global");
        }
        for ip in ["127.0.0.1", "127.255.0.1", "::1"] {
            let ip: IpAddr = ip.parse().expect(ip);
            assert!(!address_allowed(ip, false));
            assert!(address_allowed(ip, true));
        }
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            parse_max_age("public, max-age=3600"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("private"), None);
        assert_eq!(parse_max_age("max-age=abc"), None);
    }
}
