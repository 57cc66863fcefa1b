//! The bodies of the fuzz targets, one function per target: `fuzz_targets/*.rs` call them under
//! libFuzzer, and `crates/tambo-auth-server/tests/fuzz_corpora.rs` (which includes this file)
//! replays every committed seed and regression input through them on stable, uninstrumented.
//!
//! A function returns quietly on any refusal: only a panic (a failed invariant included), an
//! abort, a hang or an unbounded allocation is a finding. Every fixture is built once per
//! process (a `OnceLock`): the verifiers, key sets and projects hold no state that one input
//! could leave for the next.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::FutureExt as _;
use http::{HeaderMap, HeaderName, HeaderValue};

use tambo_auth::clock::{ManualClock, SharedClock};
use tambo_auth::exchange::{Project, StaticProjects, TokenExchange, TokenResponse};
use tambo_auth::jwt::{Claims, ClaimsPolicy, Jws, MAX_KID_BYTES, MAX_TOKEN_BYTES, classify};
use tambo_auth::keys::{JwkPolicy, KeySet, VerificationKey};
use tambo_auth::token::{SigningKey, TamboTokens};
use tambo_auth::user::{ContextKey, Namespace};
use tambo_auth::verify::Secret;
use tambo_auth::{
    Algorithm, Error, ErrorKind, OidcProvider, Profile, Provider, ProviderOptions,
    ProviderRegistry, Verifier,
};
use tambo_auth_server::config::{Config, build_provider, build_registry};

/// The fixed "now" of every fixture clock: 2026-01-01T00:00:00Z. Seeds are minted against it.
pub const NOW: u64 = 1_767_225_600;
/// The issuer of the HS256 and `none` fixtures.
pub const ISSUER: &str = "https://idp.example";
/// The issuer whose tokens the `none` (development) fixtures accept unsigned.
pub const DEV_ISSUER: &str = "https://dev.example";
/// The issuer of the Ed25519 fixture.
pub const ED_ISSUER: &str = "https://ed.example";
/// The audience the fixtures require where one is required.
pub const AUDIENCE: &str = "https://api.example";
/// The HS256 secret of the fixtures (48 bytes: enough for HS384 too).
pub const SECRET: &str = "fuzz-fixture-secret-0123456789abcdef0123456789ab";
/// The RFC 8037 §A.2 Ed25519 public key as SPKI PEM (no `kid`: it answers any). Its private
/// half ([`ED25519_SEED`]) is a published test vector, so seeds can carry valid signatures.
pub const ED25519_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n";
/// The RFC 8037 §A.1 (RFC 8032 §7.1 test 1) Ed25519 private key seed.
pub const ED25519_SEED: [u8; 32] = [
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
];
/// The project API keys of the exchange fixture, each naming one project.
pub const API_KEYS: [&str; 3] = ["tambo_pk_hs", "tambo_pk_dev", "tambo_pk_supabase"];

fn clock() -> SharedClock {
    Arc::new(ManualClock::at_unix(NOW))
}

/// Runs a future that must be ready at its first poll: every fixture's keys are local, so a
/// verification or exchange that waits would be a bug of its own.
fn ready<T>(future: impl std::future::Future<Output = T>) -> T {
    future
        .now_or_never()
        .expect("with local keys the future is ready at its first poll")
}

struct TokenFixtures {
    verifiers: Vec<Verifier>,
    policy: ClaimsPolicy,
    /// Every adapter preset with its defaults: only their pure hooks are called (their keys
    /// are remote).
    adapters: Vec<Arc<dyn Provider>>,
}

fn token_fixtures() -> &'static TokenFixtures {
    static FIXTURES: OnceLock<TokenFixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let verifiers = vec![
            Verifier::builder(ISSUER)
                .shared_secret(Secret::from_utf8(SECRET))
                .clock(clock())
                .build()
                .expect("the HS256 fixture builds"),
            Verifier::builder(ED_ISSUER)
                .public_key_pem(ED25519_PEM)
                .audience(AUDIENCE)
                .clock(clock())
                .build()
                .expect("the Ed25519 fixture builds"),
            Verifier::builder(DEV_ISSUER)
                .profile(Profile::Development)
                .insecure_no_verification()
                .max_age(Some(Duration::from_secs(3600)))
                .clock(clock())
                .build()
                .expect("the none fixture builds"),
        ];
        let adapters = ADAPTER_CONFIG
            .iter()
            .map(|text| {
                let config = Config::parse(text).expect("the adapter fixture parses");
                let (index, project) = config.project(None).expect("one project");
                build_provider(project, index, config.profile()).expect("the adapter builds")
            })
            .collect();
        TokenFixtures {
            verifiers,
            policy: ClaimsPolicy::new([ISSUER]),
            adapters,
        }
    })
}

/// One project per adapter preset, as the documentation configures them.
const ADAPTER_CONFIG: [&str; 13] = [
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"auth0\"\ndomain = \"acme.us.auth0.com\"\naudience = \"https://api.acme.example\"\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"clerk\"\nfrontend_api = \"https://clerk.acme.example\"\nauthorized_parties = [\"https://app.acme.example\"]\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"supabase\"\nproject_url = \"https://abcdefghijklmnopqrst.supabase.co\"\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"workos\"\nclient_id = \"client_01HXYZ\"\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"better-auth\"\nbase_url = \"https://app.acme.example\"\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"neon\"\nmode = \"neon-auth\"\nissuer = \"https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech\"\njwks_url = \"https://ep-cool-river-a1b2c3d4.neonauth.us-east-2.aws.neon.tech/neondb/auth/.well-known/jwks.json\"\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"google\"\nclient_ids = [\"1234567890-abc123def456ghi789.apps.googleusercontent.com\"]\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"entra\"\ntenant = \"organizations\"\nclient_id = \"6e74172b-be56-4843-9ff4-e66a39bb12e3\"\nallowed_tenants = [\"72f988bf-86f1-41af-91ab-2d7cd011db47\"]\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"okta\"\nissuer = \"https://acme.okta.com/oauth2/default\"\naudiences = [\"api://default\"]\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"keycloak\"\nissuer = \"https://sso.acme.com/realms/acme\"\naudiences = [\"threads-api\"]\nauthorized_parties = [\"threads-web\"]\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"login-gov\"\nclient_id = \"urn:gov:gsa:openidconnect.profiles:sp:sso:acme:threads\"\nrequire_identity_verification = true\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"github\"\n",
    "[[projects]]\nid = \"a\"\n[projects.provider]\nkind = \"firebase\"\nproject_id = \"acme-threads\"\nallowed_tenants = [\"acme-x1y2z\"]\nmax_auth_age = \"15m\"\n",
];

/// Target `token`: classification, compact JWS parsing, the header and claims accessors, the
/// claims policy, and [`Verifier::verify`] on an HS256, an Ed25519 and a development `none`
/// verifier (static keys, a fixed clock), the verified user's mapping, and the adapters'
/// pre-verification checks and scope mapping.
pub fn token(data: &[u8]) {
    let fixtures = token_fixtures();
    if let Ok(claims) = Claims::from_json(data) {
        claims_accessors(&claims, fixtures);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let form = classify(text);
    let parsed = Jws::parse(text);
    match &parsed {
        Ok(jws) => {
            assert!(text.len() <= MAX_TOKEN_BYTES);
            assert_eq!(
                form,
                tambo_auth::jwt::TokenForm::Jws,
                "a parsed token is a JWS"
            );
            jws_accessors(jws, fixtures);
        }
        Err(error) => {
            // Explaining a refusal never panics, whatever the provider.
            for adapter in &fixtures.adapters {
                let _ = adapter.explain_non_jwt(text, error.clone());
                let _ = adapter.precheck_opaque(text);
            }
        }
    }
    // A tighter limit refuses exactly the longer inputs, before anything else.
    let limit = text.len() / 2;
    match Jws::parse_with_limit(text, limit) {
        Err(e) if text.len() > limit => assert_eq!(e.kind(), ErrorKind::TokenTooLarge),
        other => assert_eq!(other.is_ok(), parsed.is_ok()),
    }
    for verifier in &fixtures.verifiers {
        if let Ok(verified) = ready(verifier.verify(text)) {
            assert!(parsed.is_ok(), "a verified token parses");
            let _ = verified.user("fuzz").map(|user| {
                assert!(!user.sub().is_empty());
                user.context_key().as_str().len()
            });
        }
    }
}

fn jws_accessors(jws: &Jws<'_>, fixtures: &TokenFixtures) {
    let header = jws.header();
    let _ = (
        header.alg(),
        header.alg_name(),
        header.typ(),
        header.members(),
    );
    let _ = (header.is_unsigned(), header.typ_is("at+jwt"));
    if let Some(kid) = header.kid() {
        assert!(kid.len() <= MAX_KID_BYTES && !kid.chars().any(char::is_control));
    }
    let owned = jws.clone().into_owned();
    assert_eq!(owned.signing_input(), jws.signing_input());
    assert_eq!(owned.payload(), jws.payload());
    let _ = (jws.signature().len(), jws.digest(), format!("{jws:?}"));
    for adapter in &fixtures.adapters {
        let _ = adapter.precheck(jws);
    }
    if let Ok(claims) = jws.claims() {
        claims_accessors(claims, fixtures);
    }
}

fn claims_accessors(claims: &Claims, fixtures: &TokenFixtures) {
    let _ = (claims.iss(), claims.exp(), claims.nbf(), claims.iat());
    let _ = (claims.non_empty("email"), claims.bool("email_verified"));
    if let Ok(Some(aud)) = claims.aud() {
        let _ = (aud.contains(AUDIENCE), aud.values().len());
    }
    let _ = fixtures.policy.validate(claims, NOW as f64);
    if let Some(sub) = claims.sub() {
        let issuer = claims.iss().unwrap_or(ISSUER);
        let _ = ContextKey::from_claims(issuer, claims, sub);
        let _ = Namespace::of(issuer).tenant(claims);
    }
    for adapter in &fixtures.adapters {
        let _ = adapter.held_scopes(claims);
    }
    let _ = format!("{claims:?}");
}

/// How many of the `token` target's verifiers accept `token` (a seed check).
pub fn accepted_by(token: &str) -> usize {
    token_fixtures()
        .verifiers
        .iter()
        .filter(|verifier| ready(verifier.verify(token)).is_ok())
        .count()
}

/// Target `jwk`: the same bytes as a JWK Set under both policies, as one JWK (text and parsed
/// value, both policies) and as PEM; every key loaded is then used once against a fixed token.
pub fn jwk(data: &[u8]) {
    let mut loaded = Vec::new();
    for policy in [JwkPolicy::PublicOnly, JwkPolicy::SymmetricOnly] {
        if let Ok((set, skipped)) = KeySet::from_jwks(data, policy, 8) {
            assert!(set.len() <= 8, "at most max_keys keys load");
            let _ = skipped.len();
            loaded.extend(set.keys().cloned());
        }
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        for policy in [JwkPolicy::PublicOnly, JwkPolicy::SymmetricOnly] {
            loaded.extend(VerificationKey::from_jwk(&value, policy).ok());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        loaded.extend(VerificationKey::from_jwk_str(text).ok());
        loaded.extend(VerificationKey::from_pem(text).ok());
    }
    let sample = Jws::parse(SAMPLE_TOKEN).expect("the sample token parses");
    for key in loaded {
        if let Some(kid) = key.kid() {
            assert!(kid.len() <= MAX_KID_BYTES);
        }
        if let Some(alg) = key.algorithm() {
            assert!(key.supports(alg), "a key pinned to {alg} verifies {alg}");
        }
        assert!(!key.thumbprint().is_empty());
        let _ = format!("{key:?}");
        let set = KeySet::new(vec![key.clone()]).expect("one key is a valid set");
        assert!(set.contains(&key));
        for alg in Algorithm::ALL {
            if key.supports(alg) {
                let _ = set.verify(&sample, alg);
            }
        }
    }
}

/// `{"alg":"RS256"}.{"sub":"a"}` with a 256-byte signature: the input every loaded key checks.
const SAMPLE_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq-wsbKztLW2t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t_g4eLj5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7_P3-_w";

/// Target `discovery`: the first line is the configured issuer, the rest the discovery
/// document; the parse and the fetch policy's check of its `jwks_uri` (crate-private, so the
/// body lives in `tambo_auth::__fuzz`, which exists only under `--cfg fuzzing`).
#[cfg(fuzzing)]
pub fn discovery(data: &[u8]) {
    tambo_auth::__fuzz::discovery(data);
}

struct ExchangeFixture {
    exchange: TokenExchange,
    tokens: TamboTokens,
}

fn exchange_fixture() -> &'static ExchangeFixture {
    static FIXTURE: OnceLock<ExchangeFixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let tokens = TamboTokens::builder("https://tambo.example/")
            .signing_key(SigningKey::generate(Algorithm::EdDSA).expect("a signing key"))
            .accept_insecure_development_tokens(true)
            .clock(clock())
            .build()
            .expect("the token fixture builds");
        let registry = |provider: Arc<dyn Provider>| {
            ProviderRegistry::builder()
                .shared(provider)
                .build()
                .expect("one provider is a valid registry")
        };
        let hs = Verifier::builder(ISSUER)
            .shared_secret(Secret::from_utf8(SECRET))
            .clock(clock())
            .build()
            .expect("the HS256 fixture builds");
        let dev = Verifier::builder(DEV_ISSUER)
            .profile(Profile::Development)
            .insecure_no_verification()
            .clock(clock())
            .build()
            .expect("the none fixture builds");
        let supabase: SupabaseBuilder = serde_json::from_value(serde_json::json!({
            "project_url": "https://abcdefghijklmnopqrst.supabase.co",
            "allow_anonymous": true,
            "insecure_no_verification": true,
        }))
        .expect("the Supabase fixture deserializes");
        let supabase = supabase
            .options(
                ProviderOptions::default()
                    .profile(Profile::Development)
                    .clock(clock()),
            )
            .build()
            .expect("the Supabase fixture builds");
        let projects = [
            Project::new("p_hs", registry(Arc::new(OidcProvider::new("hs", hs))))
                .audiences([AUDIENCE])
                .scopes(["read", "write"]),
            Project::new("p_dev", registry(Arc::new(OidcProvider::new("dev", dev))))
                .scopes(["read"]),
            Project::new("p_supabase", registry(Arc::new(supabase))).scopes(["authenticated"]),
        ];
        let projects = StaticProjects::new(
            API_KEYS
                .iter()
                .zip(projects)
                .map(|(key, project)| (*key, Arc::new(project))),
        )
        .expect("the projects fixture builds");
        ExchangeFixture {
            exchange: TokenExchange::new(tokens.clone(), Arc::new(projects)),
            tokens,
        }
    })
}

type SupabaseBuilder = tambo_auth_supabase::SupabaseProviderBuilder;

/// Target `exchange`: a request as `Name: value` header lines, an empty line, then the body;
/// the whole [`TokenExchange::exchange`] (parameters, client authentication, RFC 8693 rules,
/// verification of the subject, issuance) on three in-memory projects. A token it issues for
/// the default audience must verify as a Tambo token.
pub fn exchange(data: &[u8]) {
    let fixture = exchange_fixture();
    match exchange_request(data) {
        Ok(answer) => {
            let _ = answer.to_response();
            // A token for the default audience is one the layer accepts (one for another
            // audience is for another service).
            let jws = Jws::parse(&answer.access_token).expect("an issued token parses");
            let claims = jws.claims().expect("an issued token has claims");
            let aud = claims.aud().expect("an issued token has a valid aud");
            if aud.is_some_and(|aud| aud.contains(fixture.tokens.audience())) {
                let verified = fixture.tokens.verify(&answer.access_token);
                assert!(verified.is_ok(), "an issued token verifies: {verified:?}");
            }
        }
        Err(error) => {
            let _ = tambo_auth::exchange::error_response(&error);
        }
    }
}

/// The answer of the exchange fixture to a request in the `exchange` target's format.
pub fn exchange_request(data: &[u8]) -> Result<TokenResponse, Error> {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (&b""[..], data),
    };
    let mut headers = HeaderMap::new();
    for line in head.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = HeaderName::from_bytes(&line[..colon]);
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    ready(exchange_fixture().exchange.exchange(&headers, body))
}

/// Target `config`: the server's configuration parser, then every project's provider built
/// under the parsed profile (no network: building fetches nothing). A `public_key_file` is
/// pointed at a path that does not exist, so no input makes the harness read a file.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut config) = Config::parse(text) else {
        return;
    };
    let _ = config.project(None);
    let _ = format!("{config:?}");
    let profile = config.profile();
    for project in &mut config.projects {
        let previous = project
            .migration
            .as_mut()
            .and_then(|m| m.verification.as_mut());
        for verification in project.verification.iter_mut().chain(previous) {
            if verification.public_key_file.is_some() {
                verification.public_key_file = Some("/nonexistent/tambo-auth-fuzz.pem".into());
            }
        }
    }
    for (index, project) in config.projects.iter().enumerate() {
        if let Ok(registry) = build_registry(project, index, profile) {
            for provider in registry.providers() {
                let _ = (provider.name(), provider.namespace(), provider.hints());
                let _ = provider.verifier().issuer();
            }
            let _ = registry.migrations();
        }
    }
}
