//! Crate-private parsers for the fuzz targets in `fuzz/`: compiled only under `--cfg fuzzing`
//! (which cargo-fuzz sets) and in this crate's own tests, so the public API never holds it.

use std::net::IpAddr;

use url::Host;

use crate::keys::{check_url, discovery_url, jwks_uri};

/// The issuer a discovery input without a first line is checked against.
const DEFAULT_ISSUER: &str = "https://idp.example";

/// Target `discovery`: the first line of `data` is the configured issuer, the rest the
/// fetched discovery document. Parses the document for that issuer and checks its `jwks_uri`
/// with the fetch policy, with and without `allow_loopback_http`; a URL the policy lets
/// through must be https (or loopback http when allowed), carry no credentials, and name no
/// address the standard library itself calls private, loopback, link-local or multicast.
pub fn discovery(data: &[u8]) {
    let (issuer, document) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (std::str::from_utf8(&data[..at]).ok(), &data[at + 1..]),
        None => (Some(DEFAULT_ISSUER), data),
    };
    let Some(issuer) = issuer else {
        return;
    };
    let _ = discovery_url(issuer);
    let Ok(jwks) = jwks_uri(document, issuer) else {
        return;
    };
    for allow_loopback in [false, true] {
        if check_url(&jwks, allow_loopback).is_err() {
            continue;
        }
        assert!(jwks.username().is_empty() && jwks.password().is_none());
        let ip = match jwks.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(Host::Domain(_)) => None,
            None => panic!("an allowed URL has a host"),
        };
        match jwks.scheme() {
            "https" => {}
            "http" => assert!(allow_loopback && ip.is_some_and(|ip| ip.is_loopback())),
            other => panic!("the scheme {other} was allowed"),
        }
        if let Some(ip) = ip.filter(|ip| !(allow_loopback && ip.is_loopback())) {
            assert!(!ip.is_loopback() && !ip.is_unspecified() && !ip.is_multicast());
            match ip {
                IpAddr::V4(v4) => assert!(
                    !v4.is_private()
                        && !v4.is_link_local()
                        && !v4.is_broadcast()
                        && !v4.is_documentation(),
                    "{v4} was allowed"
                ),
                IpAddr::V6(v6) => assert!(
                    !v6.is_unique_local()
                        && !v6.is_unicast_link_local()
                        && v6.to_ipv4_mapped().is_none(),
                    "{v6} was allowed"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every seed and regression input of the `discovery` fuzz target, replayed through its
    /// harness; the other targets' corpora are replayed by the server's `fuzz_corpora` test.
    #[test]
    fn the_discovery_fuzz_corpus_replays_cleanly() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
        let mut replayed = 0;
        for dir in ["corpus/discovery", "regressions/discovery"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("a readable directory").path();
                let data = std::fs::read(&path).expect("a readable seed");
                super::discovery(&data);
                replayed += 1;
            }
        }
        assert!(replayed > 0, "no discovery seed under {}", root.display());
    }
}
