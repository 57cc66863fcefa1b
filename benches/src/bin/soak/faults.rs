//! The identity provider's side of the soak: a [`TestIdp`] whose faults follow a fixed
//! schedule, and the key its users' tokens are signed with.
//!
//! Each cycle is calm for 10 s, disturbed for 15 s, then calm for 25 s, so the server's
//! recovery (backoff up to 30 s) is seen before the next fault. The identity provider asks
//! for `Cache-Control: max-age=60`, the shortest freshness the server honours, so its
//! scheduled refreshes (every 48 s) meet the faults; tokens with unknown `kid`s and key
//! rotations make it refetch between them.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tambo_auth_testkit::{Fault, TestIdp, TestKey};

use crate::timeline::Timeline;

/// The faults, in the order the cycles take them.
#[derive(Debug, Clone, Copy)]
enum Disturbance {
    /// The JWKS answers after 5 s (the server's fetch gives up at 3 s), and the provider
    /// rotates to a new signing key as it starts.
    SlowJwksWithRotation,
    /// The JWKS answers 500.
    JwksServerError,
    /// The JWKS answers 200 with an HTML page.
    JwksHtml,
    /// Discovery answers 503 and the JWKS 500.
    DiscoveryAndJwksDown,
    /// The provider stops (connection refused) and rotates its signing key while down, then
    /// restarts on the same port.
    StoppedWithRotation,
    /// A key rotation with the provider healthy: the new key signs at once, the old one
    /// leaves the key set 20 s later.
    Rotation,
}

const SCHEDULE: [Disturbance; 6] = [
    Disturbance::SlowJwksWithRotation,
    Disturbance::JwksServerError,
    Disturbance::StoppedWithRotation,
    Disturbance::JwksHtml,
    Disturbance::Rotation,
    Disturbance::DiscoveryAndJwksDown,
];

impl Disturbance {
    fn name(self) -> &'static str {
        match self {
            Disturbance::SlowJwksWithRotation => "slow JWKS (5 s) + key rotation",
            Disturbance::JwksServerError => "JWKS 500",
            Disturbance::JwksHtml => "JWKS answers HTML",
            Disturbance::DiscoveryAndJwksDown => "discovery 503 + JWKS 500",
            Disturbance::StoppedWithRotation => "connection refused + key rotation",
            Disturbance::Rotation => "key rotation",
        }
    }
}

const CALM_BEFORE: Duration = Duration::from_secs(10);
const DISTURBED: Duration = Duration::from_secs(15);
const CALM_AFTER: Duration = Duration::from_secs(25);
/// How long a rotated-out key stays in the key set.
const OLD_KEY_KEPT: Duration = Duration::from_secs(20);

/// The key that signs the identity provider's tokens now; clients read it for every token.
#[derive(Clone)]
pub(crate) struct Signer(Arc<RwLock<TestKey>>);

impl Signer {
    pub(crate) fn new(key: TestKey) -> Self {
        Signer(Arc::new(RwLock::new(key)))
    }

    pub(crate) fn current(&self) -> TestKey {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, key: TestKey) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = key;
    }
}

/// The identity provider and its schedule.
pub(crate) struct Faults {
    pub(crate) idp: TestIdp,
    signer: Signer,
    rotations: u32,
    /// Keys rotated out, with when they leave the key set.
    retiring: Vec<(String, Instant)>,
    pub(crate) injected: Vec<&'static str>,
}

impl Faults {
    pub(crate) fn new(idp: TestIdp, signer: Signer) -> Self {
        idp.set_cache_control(Some("max-age=60".into()));
        Faults {
            idp,
            signer,
            rotations: 0,
            retiring: Vec::new(),
            injected: Vec::new(),
        }
    }

    /// Stops the provider: connections to its port are refused.
    pub(crate) fn stop(&mut self) {
        // `stop` waits, briefly and on this thread, for wiremock to close its listener.
        tokio::task::block_in_place(|| self.idp.stop());
    }

    /// A new signing key (Ed25519 and P-256 in turn), published first; the old one stays
    /// published for [`OLD_KEY_KEPT`].
    fn rotate(&mut self) {
        self.rotations += 1;
        let kid = format!("soak-{}", self.rotations);
        let key = if self.rotations % 2 == 1 {
            TestKey::ed25519(kid)
        } else {
            TestKey::p256(kid)
        };
        let old = self.signer.current();
        let mut keys = self.idp.keys();
        keys.insert(0, key.clone());
        self.idp.set_keys(keys);
        self.signer.set(key);
        self.retiring
            .push((old.kid().to_owned(), Instant::now() + OLD_KEY_KEPT));
    }

    fn retire_due(&mut self) {
        let now = Instant::now();
        let (due, later): (Vec<_>, Vec<_>) =
            self.retiring.drain(..).partition(|(_, at)| *at <= now);
        self.retiring = later;
        for (kid, _) in due {
            self.idp.remove_key(&kid);
        }
    }

    /// Waits `span`, retiring rotated-out keys on time; returns early at `deadline`.
    async fn pause(&mut self, span: Duration, deadline: Instant) {
        let until = (Instant::now() + span).min(deadline);
        while Instant::now() < until {
            self.retire_due();
            let next = self
                .retiring
                .iter()
                .map(|(_, at)| *at)
                .min()
                .unwrap_or(until)
                .min(until);
            tokio::time::sleep_until(tokio::time::Instant::from_std(next.max(Instant::now())))
                .await;
        }
        self.retire_due();
    }

    /// Runs the schedule until `deadline`, then leaves the provider healthy with every key
    /// rotated out removed.
    pub(crate) async fn run(&mut self, timeline: &Timeline, deadline: Instant) {
        let mut cycle = 0;
        while Instant::now() + CALM_BEFORE + DISTURBED <= deadline {
            let disturbance = SCHEDULE[cycle % SCHEDULE.len()];
            cycle += 1;
            self.pause(CALM_BEFORE, deadline).await;
            let window = timeline.begin(disturbance.name());
            self.injected.push(disturbance.name());
            match disturbance {
                Disturbance::SlowJwksWithRotation => {
                    self.idp
                        .set_jwks_fault(Some(Fault::Delay(Duration::from_secs(5))));
                    self.rotate();
                }
                Disturbance::JwksServerError => self.idp.set_jwks_fault(Some(Fault::Status(500))),
                Disturbance::JwksHtml => self
                    .idp
                    .set_jwks_fault(Some(Fault::html("<html><body>maintenance</body></html>"))),
                Disturbance::DiscoveryAndJwksDown => {
                    self.idp.set_discovery_fault(Some(Fault::Status(503)));
                    self.idp.set_jwks_fault(Some(Fault::Status(500)));
                }
                Disturbance::StoppedWithRotation => {
                    self.stop();
                    self.rotate();
                }
                Disturbance::Rotation => self.rotate(),
            }
            self.pause(DISTURBED, deadline).await;
            self.heal().await;
            timeline.end(window);
            self.pause(CALM_AFTER, deadline).await;
        }
        self.pause(deadline.saturating_duration_since(Instant::now()), deadline)
            .await;
    }

    /// Clears every fault and restarts a stopped provider.
    pub(crate) async fn heal(&mut self) {
        self.idp.set_jwks_fault(None);
        self.idp.set_discovery_fault(None);
        if !self.idp.is_running() {
            self.idp.restart().await;
        }
    }
}
