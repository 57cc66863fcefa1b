//! The `tambo-auth` configuration file (TOML), and how a project's `[projects.verification]`
//! becomes a [`Verifier`].
//!
//! Unknown keys are refused, so a typo (`audience` for `audiences`) stops startup with the
//! key's name instead of silently weakening verification.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use tambo_auth::verify::{ClientAuth, Introspection, Secret, Userinfo};
use tambo_auth::{
    Algorithm, OidcProvider, Profile, Provider, ProviderOptions, ProviderRegistry, Verifier,
};
use tambo_auth_auth0::Auth0ProviderBuilder;
use tambo_auth_better_auth::BetterAuthProviderBuilder;
use tambo_auth_clerk::ClerkProviderBuilder;
use tambo_auth_entra::EntraProviderBuilder;
use tambo_auth_firebase::FirebaseProviderBuilder;
use tambo_auth_github::GithubProviderBuilder;
use tambo_auth_google::GoogleProviderBuilder;
use tambo_auth_keycloak::KeycloakProviderBuilder;
use tambo_auth_login_gov::LoginGovProviderBuilder;
use tambo_auth_neon::NeonProviderBuilder;
use tambo_auth_okta::OktaProviderBuilder;
use tambo_auth_supabase::SupabaseProviderBuilder;
use tambo_auth_workos::WorkosProviderBuilder;

mod sensitive;

pub use sensitive::Sensitive;

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The setting, e.g. `projects[0].verification.secret`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl ConfigError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The environment variables that turn on run-time project administration.
pub const ADMIN_TOKEN_VAR: &str = "TAMBO_AUTH_ADMIN_TOKEN";
/// The environment variable holding the key stored secrets are encrypted with.
pub const SECRET_KEY_VAR: &str = "TAMBO_AUTH_SECRET_KEY";
/// The environment variable holding the previous secret key, during its rotation.
pub const PREVIOUS_SECRET_KEY_VAR: &str = "TAMBO_AUTH_SECRET_KEY_PREVIOUS";

/// Run-time project administration ([`crate::admin`]): settings that come from the environment
/// only, so that no configuration file holds them (`Debug` shows none of their values), and the
/// templates a program embedding the server offers.
#[derive(Debug, Clone, Default)]
pub struct AdminSettings {
    /// `TAMBO_AUTH_ADMIN_TOKEN` (at least 32 visible ASCII characters): turns the admin API and the settings
    /// page on; every call sends it as a bearer token.
    pub token: Option<Sensitive>,
    /// `TAMBO_AUTH_SECRET_KEY`: 32 bytes, base64 or hex; encrypts the secrets projects store.
    pub secret_key: Option<Sensitive>,
    /// `TAMBO_AUTH_SECRET_KEY_PREVIOUS`: the key before the current one, still read while
    /// `tambo-auth projects reencrypt` moves secrets to the current one.
    pub previous_secret_key: Option<Sensitive>,
    /// Ready-made verification settings the settings page offers (`{"label",
    /// "verification"?, "provider"?}`, see [`Admin::with_templates`](crate::admin::Admin::with_templates)),
    /// as `tambo-auth dev` offers its identity provider's. Never from the environment.
    pub templates: Vec<serde_json::Value>,
}

impl AdminSettings {
    /// The settings from the process environment (unset or empty variables are absent).
    pub fn from_env() -> AdminSettings {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(Sensitive::from)
        };
        AdminSettings {
            token: var(ADMIN_TOKEN_VAR),
            secret_key: var(SECRET_KEY_VAR),
            previous_secret_key: var(PREVIOUS_SECRET_KEY_VAR),
            templates: Vec::new(),
        }
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`.
    #[serde(default)]
    pub server: ServerConfig,
    /// `[token]`: the Tambo tokens the server issues.
    #[serde(default)]
    pub token: TokenConfig,
    /// `[[projects]]`.
    #[serde(default)]
    pub projects: Vec<ProjectConfig>,
    /// Run-time project administration: from the environment, never from the file
    /// ([`AdminSettings::from_env`]).
    #[serde(skip)]
    pub admin: AdminSettings,
    /// `[limits]`: what one thread holds.
    #[serde(default)]
    pub limits: crate::store::Limits,
    /// `[rate_limits]`: how many exchanges a client address, a user and a project may make.
    #[serde(default)]
    pub rate_limits: RateLimitConfig,
}

/// `[rate_limits]` of `POST /oauth/token`, on by default. A rate of 0 turns that limit off.
/// Over a limit, an exchange is answered 429 `slow_down` with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Exchanges a minute per client address (IPv6: per /64), default 120.
    pub per_client_per_minute: u32,
    /// Burst per client address, default 60.
    pub per_client_burst: u32,
    /// Requests of its address's budget a subject token that fails verification spends,
    /// default 10 (so about 12 failures a minute).
    pub failure_cost: u32,
    /// Exchanges a minute per user of a project, default 20 (bursts of as many).
    pub per_subject_per_minute: u32,
    /// Exchanges a minute per project, default 6000. Its API key is public, so anyone can
    /// spend this budget: keep it well above real traffic.
    pub per_project_per_minute: u32,
    /// Burst per project, default 1000.
    pub per_project_burst: u32,
    /// The proxies in front of the server (addresses or CIDR blocks) whose
    /// `X-Forwarded-For` names the client; default none, so the header is ignored.
    pub trusted_proxies: Vec<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_client_per_minute: 120,
            per_client_burst: 60,
            failure_cost: 10,
            per_subject_per_minute: 20,
            per_project_per_minute: 6000,
            per_project_burst: 1000,
            trusted_proxies: Vec::new(),
        }
    }
}

impl RateLimitConfig {
    /// The library's [`RateLimits`](tambo_auth::exchange::RateLimits) for these settings.
    pub fn build(&self) -> Result<tambo_auth::exchange::RateLimits, ConfigError> {
        use tambo_auth::exchange::{Rate, RateLimits};
        RateLimits::new()
            .per_client(
                Rate::per_minute(self.per_client_per_minute)
                    .map(|r| r.burst(self.per_client_burst)),
            )
            .failure_cost(self.failure_cost)
            .per_subject(Rate::per_minute(self.per_subject_per_minute))
            .per_project(
                Rate::per_minute(self.per_project_per_minute)
                    .map(|r| r.burst(self.per_project_burst)),
            )
            .trusted_proxies(&self.trusted_proxies)
            .map_err(|e| match e {
                tambo_auth::Error::Configuration { reason, .. } => {
                    ConfigError::new("rate_limits.trusted_proxies", reason)
                }
                other => ConfigError::new("rate_limits", other.to_string()),
            })
    }
}

/// `[server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// The listen address.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Our issuer URL.
    #[serde(default)]
    pub public_url: Option<String>,
    /// `sqlite://…` or `postgres://…` (default `sqlite://tambo.db`, see
    /// [`database`](Self::database)).
    #[serde(default)]
    pub database_url: Option<String>,
    /// `production` (default) or `development`.
    #[serde(default)]
    pub profile: ProfileName,
    /// The bearer token that reads `/readyz` details and `/metrics` from a non-loopback peer
    /// (at least 32 visible ASCII characters); see [`crate::ops`].
    #[serde(default)]
    pub ops_token: Option<Sensitive>,
    /// The environment variable holding `ops_token`.
    #[serde(default)]
    pub ops_token_env: Option<String>,
    /// Browser origins (`https://app.example.com`: scheme, host and port) allowed to call
    /// `/oauth/token` and `/v1` from their pages (client-side retrieval); default none, so no
    /// CORS header is sent. `*` is refused.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

impl ServerConfig {
    /// `database_url`, or the default `sqlite://tambo.db` (a file beside the process).
    pub fn database(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| "sqlite://tambo.db".into())
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            public_url: None,
            database_url: None,
            profile: ProfileName::Production,
            ops_token: None,
            ops_token_env: None,
            cors_origins: Vec::new(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8260".into()
}

/// `[token]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The `aud` of issued tokens (default `tambo`).
    pub audience: Option<String>,
    /// Lifetime of issued tokens (default `15m`).
    pub ttl: Option<String>,
    /// Signing algorithm (default `EdDSA`).
    pub algorithm: Option<String>,
}

/// The deployment profile.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// Strict.
    #[default]
    Production,
    /// Permits the `none` strategy.
    Development,
}

/// `[[projects]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectConfig {
    /// The project id (`p_…`).
    pub id: String,
    /// Plaintext keys or `sha256:<hex>` digests (`Debug` shows neither).
    #[serde(default)]
    pub api_keys: Vec<Sensitive>,
    /// The scopes an exchange may grant: those requested, on this list, and held by the user
    /// at the identity provider (default: none).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// How subject tokens are verified (required unless `[projects.provider]` is set).
    #[serde(default)]
    pub verification: Option<VerificationConfig>,
    /// A provider preset from an adapter crate: `kind` plus that adapter's settings.
    #[serde(default)]
    pub provider: Option<toml::Table>,
    /// A previous verification path for the same users, accepted until a date.
    #[serde(default)]
    pub migration: Option<MigrationConfig>,
}

/// `[projects.migration]`: the path users move from, as `[projects.migration.verification]`
/// or `[projects.migration.provider]` (the same settings as the project's own), accepted
/// beside the project's path until `until`. Its users map to the project path's users.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationConfig {
    /// When the previous path stops being accepted: an RFC 3339 date (midnight UTC) or
    /// date-time.
    pub until: String,
    /// The previous path as a strategy.
    #[serde(default)]
    pub verification: Option<VerificationConfig>,
    /// The previous path as a provider preset.
    #[serde(default)]
    pub provider: Option<toml::Table>,
}

/// The strategies, with Tambo's own names accepted as aliases.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    /// OpenID Connect Discovery (Tambo: `asymmetric_auto`).
    #[default]
    #[serde(alias = "asymmetric_auto")]
    OidcDiscovery,
    /// A JWKS URL.
    Jwks,
    /// A configured public key (Tambo: `asymmetric_manual`).
    #[serde(alias = "asymmetric_manual")]
    Asymmetric,
    /// A shared secret.
    Symmetric,
    /// No signature check (development only).
    None,
    /// Opaque access tokens, answered for by a userinfo endpoint (`userinfo_url`).
    Userinfo,
    /// Opaque access tokens, answered for by an RFC 7662 introspection endpoint
    /// (`introspection_url`, `client_id`, `client_secret`).
    Introspection,
}

/// How this server authenticates to an introspection endpoint.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ClientAuthName {
    /// HTTP Basic (the default).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form.
    Post,
}

/// How the configured secret's text becomes bytes: stated, never guessed.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SecretEncoding {
    /// The UTF-8 bytes of the text (Tambo, Supabase's legacy JWT secret).
    #[default]
    Utf8,
    /// Base64 (standard or URL-safe alphabet).
    Base64,
}

/// `[projects.verification]`. It serializes (for the admin API) without its secrets.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationConfig {
    /// The strategy (default `oidc-discovery`).
    #[serde(default)]
    pub strategy: StrategyName,
    /// The issuer, compared exactly with `iss`.
    pub issuer: Option<String>,
    /// More accepted `iss` values (Google's `accounts.google.com`).
    #[serde(default)]
    pub additional_issuers: Vec<String>,
    /// Required audiences (any one); required for `oidc-discovery`, `jwks` and `asymmetric`
    /// unless `allow_any_audience` waives it.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Accepts tokens whatever their `aud` (an issuer that serves this application alone).
    /// Logged at startup.
    #[serde(default)]
    pub allow_any_audience: bool,
    /// The algorithm allowlist.
    pub algorithms: Option<Vec<String>>,
    /// For `jwks`.
    pub jwks_url: Option<String>,
    /// For `asymmetric`: PEM, X.509 PEM certificate or JWK.
    pub public_key: Option<String>,
    /// For `asymmetric`: a file holding the key.
    pub public_key_file: Option<PathBuf>,
    /// For `symmetric` (`Debug` does not show it; never serialized).
    #[serde(skip_serializing)]
    pub secret: Option<Sensitive>,
    /// For `symmetric`: the environment variable holding the secret.
    pub secret_env: Option<String>,
    /// For `symmetric`: `utf8` (default) or `base64`.
    #[serde(default)]
    pub secret_encoding: SecretEncoding,
    /// Clock leeway (default `60s`, at most `300s`).
    pub leeway: Option<String>,
    /// Longest accepted subject-token lifetime (default `24h`).
    pub max_lifetime: Option<String>,
    /// Oldest accepted `iat` (default: none).
    pub max_age: Option<String>,
    /// For `userinfo`: the endpoint (GitHub: `https://api.github.com/user`).
    pub userinfo_url: Option<String>,
    /// For `userinfo`: the member of the answer that identifies the user (default `sub`;
    /// GitHub: `id`).
    pub userinfo_identity: Option<String>,
    /// For `introspection`: the endpoint.
    pub introspection_url: Option<String>,
    /// For `introspection`: this server's client id there.
    pub client_id: Option<String>,
    /// For `introspection`: this server's client secret (`Debug` does not show it; never
    /// serialized).
    #[serde(skip_serializing)]
    pub client_secret: Option<Sensitive>,
    /// For `introspection`: the environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// For `introspection`: `basic` (default) or `post`.
    #[serde(default)]
    pub client_auth: ClientAuthName,
    /// For `userinfo` and `introspection`: how long a positive answer is reused for the same
    /// token (default `60s`; `0s` asks every time).
    pub opaque_cache_ttl: Option<String>,
    /// Permits http to loopback literals (tests, dev, sidecars).
    #[serde(default)]
    pub allow_loopback_http: bool,
}

impl Config {
    /// Reads and parses `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(path.display().to_string(), format!("cannot read: {e}"))
        })?;
        Self::parse(&text)
    }

    /// Parses TOML text. Two projects with one `id` are refused, naming the second.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let reason = e.message().to_owned();
            ConfigError::new("config", reason)
        })?;
        for (index, project) in config.projects.iter().enumerate() {
            if let Some(first) = config.projects[..index]
                .iter()
                .position(|p| p.id == project.id)
            {
                return Err(ConfigError::new(
                    format!("projects[{index}].id"),
                    format!(
                        "duplicate project id {:?} (also projects[{first}].id); each project needs its own id",
                        project.id
                    ),
                ));
            }
        }
        Ok(config)
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        match self.server.profile {
            ProfileName::Production => Profile::Production,
            ProfileName::Development => Profile::Development,
        }
    }

    /// The project with `id`, or the only one when `id` is `None`.
    pub fn project(&self, id: Option<&str>) -> Result<(usize, &ProjectConfig), ConfigError> {
        match id {
            Some(id) => self
                .projects
                .iter()
                .enumerate()
                .find(|(_, p)| p.id == id)
                .ok_or_else(|| ConfigError::new("--project", format!("no project with id {id:?}"))),
            None => match self.projects.as_slice() {
                [only] => Ok((0, only)),
                [] => Err(ConfigError::new(
                    "projects",
                    "the configuration has no [[projects]]",
                )),
                _ => Err(ConfigError::new(
                    "--project",
                    "the configuration has several projects; name one with --project",
                )),
            },
        }
    }
}

fn duration(value: &Option<String>, field: String) -> Result<Option<Duration>, ConfigError> {
    value
        .as_deref()
        .map(|v| {
            humantime::parse_duration(v).map_err(|_| {
                ConfigError::new(
                    field,
                    format!("{v:?} is not a duration like \"60s\" or \"15m\""),
                )
            })
        })
        .transpose()
}

/// The text of a setting that `strategy` needs, given either inline (`key`) or through a source
/// (`source`: a file, an environment variable) that `read` reads; exactly one of them is set.
fn exactly_one<S>(
    (key, inline): (&str, &Option<String>),
    (source_key, source): (&str, &Option<S>),
    strategy: &str,
    field: &dyn Fn(&str) -> String,
    read: impl FnOnce(&S) -> Result<String, String>,
) -> Result<String, ConfigError> {
    match (inline, source) {
        (Some(text), None) => Ok(text.clone()),
        (None, Some(source)) => {
            read(source).map_err(|reason| ConfigError::new(field(source_key), reason))
        }
        (Some(_), Some(_)) => Err(ConfigError::new(
            field(key),
            format!("set {key} or {source_key}, not both"),
        )),
        (None, None) => Err(ConfigError::new(
            field(key),
            format!("required by strategy = \"{strategy}\""),
        )),
    }
}

/// The provider kinds `[projects.provider]` accepts.
pub const PROVIDER_KINDS: [&str; 13] = [
    "auth0",
    "clerk",
    "supabase",
    "workos",
    "better-auth",
    "neon",
    "google",
    "entra",
    "okta",
    "keycloak",
    "login-gov",
    "github",
    "firebase",
];

/// Builds the provider of project number `index`: its `[projects.provider]` preset when set,
/// else a generic OIDC provider from `[projects.verification]`.
pub fn build_provider(
    project: &ProjectConfig,
    index: usize,
    profile: Profile,
) -> Result<Arc<dyn Provider>, ConfigError> {
    let path = VerificationPath {
        prefix: format!("projects[{index}]"),
        verification: project.verification.as_ref(),
        provider: project.provider.as_ref(),
    };
    path.build(profile)
}

/// Builds the providers of project number `index`: [`build_provider`], and with a
/// `[projects.migration]` the previous path beside it until its date.
pub fn build_registry(
    project: &ProjectConfig,
    index: usize,
    profile: Profile,
) -> Result<ProviderRegistry, ConfigError> {
    let current = build_provider(project, index, profile)?;
    let builder = match &project.migration {
        None => ProviderRegistry::builder().shared(current),
        Some(migration) => {
            let prefix = format!("projects[{index}].migration");
            let until = parse_date(&migration.until).ok_or_else(|| {
                ConfigError::new(
                    format!("{prefix}.until"),
                    format!(
                        "{:?} is not an RFC 3339 date or date-time like \"2027-01-31\" or \"2027-01-31T12:00:00Z\"",
                        migration.until
                    ),
                )
            })?;
            let previous = VerificationPath {
                prefix,
                verification: migration.verification.as_ref(),
                provider: migration.provider.as_ref(),
            }
            .build(profile)?;
            ProviderRegistry::builder().migration(current, previous, until)
        }
    };
    builder.build().map_err(|e| match e {
        tambo_auth::Error::Configuration { reason, .. } => {
            ConfigError::new(format!("projects[{index}].migration"), reason)
        }
        other => ConfigError::new(format!("projects[{index}]"), other.to_string()),
    })
}

/// An RFC 3339 date (midnight UTC) or date-time.
fn parse_date(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if text.len() == 10 {
        return humantime::parse_rfc3339(&format!("{text}T00:00:00Z")).ok();
    }
    humantime::parse_rfc3339(text).ok()
}

/// `name` under the setting `at` (`projects[0]`), or alone when `at` is empty (the admin API
/// names `verification.secret`).
fn under(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

/// One verification path's settings: `[projects.verification]` and `[projects.provider]`, or
/// the same pair under `[projects.migration]`; `prefix` names them in errors.
pub(crate) struct VerificationPath<'c> {
    pub(crate) prefix: String,
    pub(crate) verification: Option<&'c VerificationConfig>,
    pub(crate) provider: Option<&'c toml::Table>,
}

impl VerificationPath<'_> {
    pub(crate) fn build(&self, profile: Profile) -> Result<Arc<dyn Provider>, ConfigError> {
        let Some(section) = self.provider else {
            let verifier = build_verifier_at(self.verification, &self.prefix, profile)?;
            return Ok(Arc::new(OidcProvider::new("oidc", verifier)));
        };
        build_preset(section, self.verification, &self.prefix, profile)
    }
}

fn build_preset(
    section: &toml::Table,
    verification: Option<&VerificationConfig>,
    at: &str,
    profile: Profile,
) -> Result<Arc<dyn Provider>, ConfigError> {
    let prefix = under(at, "provider");
    let mut settings = section.clone();
    let kind = match settings.remove("kind") {
        Some(toml::Value::String(kind)) => kind,
        _ => {
            return Err(ConfigError::new(
                format!("{prefix}.kind"),
                format!("required: one of {}", PROVIDER_KINDS.join(", ")),
            ));
        }
    };
    let mut options = ProviderOptions::default().profile(profile);
    if let Some(v) = verification {
        let only_loopback = VerificationConfig {
            allow_loopback_http: v.allow_loopback_http,
            ..VerificationConfig::default()
        };
        if *v != only_loopback {
            return Err(ConfigError::new(
                under(at, "verification"),
                "with a [projects.provider] preset, only allow_loopback_http may be set here; the preset decides the rest",
            ));
        }
        options = options.allow_loopback_http(v.allow_loopback_http);
    }
    let table = toml::Value::Table(settings);
    // Each adapter's builder is its `[projects.provider]` table.
    macro_rules! adapter {
        ($builder:ty) => {
            preset(table, &prefix, |b: $builder| b.options(options).build())
        };
    }
    match kind.as_str() {
        "auth0" => adapter!(Auth0ProviderBuilder),
        "clerk" => adapter!(ClerkProviderBuilder),
        "supabase" => adapter!(SupabaseProviderBuilder),
        "workos" => adapter!(WorkosProviderBuilder),
        "better-auth" => adapter!(BetterAuthProviderBuilder),
        "neon" => adapter!(NeonProviderBuilder),
        "google" => adapter!(GoogleProviderBuilder),
        "entra" => adapter!(EntraProviderBuilder),
        "okta" => adapter!(OktaProviderBuilder),
        "keycloak" => adapter!(KeycloakProviderBuilder),
        "login-gov" => adapter!(LoginGovProviderBuilder),
        "github" => adapter!(GithubProviderBuilder),
        "firebase" => adapter!(FirebaseProviderBuilder),
        other => Err(ConfigError::new(
            format!("{prefix}.kind"),
            format!(
                "{other:?} is not a provider kind; use one of {}",
                PROVIDER_KINDS.join(", ")
            ),
        )),
    }
}

/// An adapter's builder deserialized from its `[projects.provider]` table (the table's keys are
/// the builder's settings), then built by `build`; every error names its key under `prefix`.
fn preset<B, P>(
    table: toml::Value,
    prefix: &str,
    build: impl FnOnce(B) -> Result<P, tambo_auth::Error>,
) -> Result<Arc<dyn Provider>, ConfigError>
where
    B: serde::de::DeserializeOwned,
    P: Provider,
{
    let builder: B = table
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::new(prefix, e.message().to_owned()))?;
    let provider = build(builder).map_err(|e| match e {
        tambo_auth::Error::Configuration { field, reason } => {
            ConfigError::new(format!("{prefix}.{field}"), reason)
        }
        other => ConfigError::new(prefix, other.to_string()),
    })?;
    Ok(Arc::new(provider))
}

/// Builds the verifier of project number `index` (for field names in errors).
pub fn build_verifier(
    project: &ProjectConfig,
    index: usize,
    profile: Profile,
) -> Result<Verifier, ConfigError> {
    build_verifier_at(
        project.verification.as_ref(),
        &format!("projects[{index}]"),
        profile,
    )
}

fn build_verifier_at(
    verification: Option<&VerificationConfig>,
    at: &str,
    profile: Profile,
) -> Result<Verifier, ConfigError> {
    let prefix = under(at, "verification");
    let field = |name: &str| format!("{prefix}.{name}");
    let v = verification.ok_or_else(|| {
        ConfigError::new(
            prefix.clone(),
            "each project needs [projects.verification] or a [projects.provider] preset",
        )
    })?;
    let issuer = v.issuer.clone().ok_or_else(|| {
        ConfigError::new(
            field("issuer"),
            "required: the exact `iss` of the provider's tokens",
        )
    })?;
    let mut builder = Verifier::builder(issuer)
        .profile(profile)
        .allow_loopback_http(v.allow_loopback_http);
    for extra in &v.additional_issuers {
        builder = builder.additional_issuer(extra.clone());
    }
    for audience in &v.audiences {
        builder = builder.audience(audience.clone());
    }
    if v.allow_any_audience {
        builder = builder.allow_any_audience();
    }
    if let Some(names) = &v.algorithms {
        let mut algorithms = Vec::new();
        for name in names {
            algorithms.push(name.parse::<Algorithm>().map_err(|_| {
                ConfigError::new(
                    field("algorithms"),
                    format!("{name:?} is not an accepted algorithm (RS256…RS512, PS256…PS512, ES256, ES384, EdDSA, HS256…HS512; never none)"),
                )
            })?);
        }
        builder = builder.algorithms(algorithms);
    }
    if let Some(leeway) = duration(&v.leeway, field("leeway"))? {
        builder = builder.leeway(leeway);
    }
    if let Some(max) = duration(&v.max_lifetime, field("max_lifetime"))? {
        builder = builder.max_lifetime(Some(max));
    }
    if let Some(max) = duration(&v.max_age, field("max_age"))? {
        builder = builder.max_age(Some(max));
    }
    // A setting that only some strategies read is refused under any other, naming the field.
    let used_only_by: [(&str, bool, &[StrategyName], &str); 6] = [
        (
            "jwks_url",
            v.jwks_url.is_some(),
            &[StrategyName::Jwks],
            "jwks",
        ),
        (
            "public_key",
            v.public_key.is_some() || v.public_key_file.is_some(),
            &[StrategyName::Asymmetric],
            "asymmetric",
        ),
        (
            "secret",
            v.secret.is_some() || v.secret_env.is_some(),
            &[StrategyName::Symmetric],
            "symmetric",
        ),
        (
            "userinfo_url",
            v.userinfo_url.is_some() || v.userinfo_identity.is_some(),
            &[StrategyName::Userinfo],
            "userinfo",
        ),
        (
            "introspection_url",
            v.introspection_url.is_some()
                || v.client_id.is_some()
                || v.client_secret.is_some()
                || v.client_secret_env.is_some()
                || v.client_auth != ClientAuthName::Basic,
            &[StrategyName::Introspection],
            "introspection",
        ),
        (
            "opaque_cache_ttl",
            v.opaque_cache_ttl.is_some(),
            &[StrategyName::Userinfo, StrategyName::Introspection],
            "userinfo\" or \"introspection",
        ),
    ];
    for (name, present, strategies, strategy) in used_only_by {
        if present && !strategies.contains(&v.strategy) {
            return Err(ConfigError::new(
                field(name),
                format!("only used by strategy = \"{strategy}\""),
            ));
        }
    }
    if let Some(ttl) = duration(&v.opaque_cache_ttl, field("opaque_cache_ttl"))? {
        builder = builder.opaque_cache_ttl(ttl);
    }
    builder = match v.strategy {
        StrategyName::OidcDiscovery => builder.oidc_discovery(),
        StrategyName::Jwks => builder.jwks_url(v.jwks_url.clone().ok_or_else(|| {
            ConfigError::new(field("jwks_url"), "required by strategy = \"jwks\"")
        })?),
        StrategyName::Asymmetric => {
            let text = exactly_one(
                ("public_key", &v.public_key),
                ("public_key_file", &v.public_key_file),
                "asymmetric",
                &field,
                |path| {
                    std::fs::read_to_string(path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))
                },
            )?;
            if text.trim_start().starts_with('{') {
                builder.public_key_jwk(text)
            } else {
                builder.public_key_pem(text)
            }
        }
        StrategyName::Symmetric => {
            let inline = v.secret.as_ref().map(|s| s.expose().to_owned());
            let text = exactly_one(
                ("secret", &inline),
                ("secret_env", &v.secret_env),
                "symmetric",
                &field,
                |name| {
                    std::env::var(name)
                        .map_err(|_| format!("the environment variable {name} is not set"))
                },
            )?;
            let secret = match v.secret_encoding {
                SecretEncoding::Utf8 => Secret::from_utf8(text),
                SecretEncoding::Base64 => Secret::from_base64(&text).map_err(|_| {
                    ConfigError::new(
                        field("secret"),
                        "not valid base64 (secret_encoding = \"base64\")",
                    )
                })?,
            };
            builder.shared_secret(secret)
        }
        StrategyName::None => builder.insecure_no_verification(),
        StrategyName::Userinfo => {
            let url = v.userinfo_url.clone().ok_or_else(|| {
                ConfigError::new(field("userinfo_url"), "required by strategy = \"userinfo\"")
            })?;
            let mut endpoint = Userinfo::new(url);
            if let Some(member) = &v.userinfo_identity {
                endpoint = endpoint.identity(member.clone());
            }
            builder.userinfo(endpoint)
        }
        StrategyName::Introspection => {
            let required = |name: &str, value: &Option<String>| {
                value.clone().ok_or_else(|| {
                    ConfigError::new(field(name), "required by strategy = \"introspection\"")
                })
            };
            let url = required("introspection_url", &v.introspection_url)?;
            let client_id = required("client_id", &v.client_id)?;
            let inline = v.client_secret.as_ref().map(|s| s.expose().to_owned());
            let secret = exactly_one(
                ("client_secret", &inline),
                ("client_secret_env", &v.client_secret_env),
                "introspection",
                &field,
                |name| {
                    std::env::var(name)
                        .map_err(|_| format!("the environment variable {name} is not set"))
                },
            )?;
            let auth = match v.client_auth {
                ClientAuthName::Basic => ClientAuth::Basic,
                ClientAuthName::Post => ClientAuth::Post,
            };
            builder.introspection(
                Introspection::new(url, client_id, Secret::from_utf8(secret)).client_auth(auth),
            )
        }
    };
    builder.build().map_err(|e| match e {
        tambo_auth::Error::Configuration {
            field: name,
            reason,
        } => ConfigError::new(field(&name), reason),
        other => ConfigError::new(prefix.clone(), other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(verification: &str) -> Result<Verifier, ConfigError> {
        let config = Config::parse(&format!(
            "[[projects]]\nid = \"p\"\n[projects.verification]\n{verification}"
        ))?;
        let (i, p) = config.project(None)?;
        build_verifier(p, i, config.profile())
    }

    #[test]
    fn every_error_names_its_field() {
        // A key the file does not know stops the parse.
        let err = project("issuer = \"https://x.example\"\naudience = \"a\"").expect_err("typo");
        assert_eq!(err.field, "config", "{err}");
        // The others name their setting in `projects[0].verification`.
        let cases = [
            (
                "strategy = \"symmetric\"\nissuer = \"x\"\nsecret = \"secret\"",
                "secret",
            ),
            ("strategy = \"none\"\nissuer = \"x\"", "strategy"),
            (
                "issuer = \"https://x.example\"\nalgorithms = [\"none\"]",
                "algorithms",
            ),
            (
                "issuer = \"https://x.example\"\nalgorithms = [\"HS256\"]",
                "algorithms",
            ),
            ("issuer = \"https://x.example?x=1\"", "issuer"),
            ("issuer = \"https://x.example\"\nleeway = \"1h\"", "leeway"),
            (
                "strategy = \"jwks\"\nissuer = \"https://x.example\"",
                "jwks_url",
            ),
            ("issuer = \"https://x.example\"\nsecret = \"abc\"", "secret"),
            (
                "strategy = \"asymmetric\"\nissuer = \"x\"\npublic_key = \"junk\"",
                "public_key",
            ),
            ("audiences = [\"a\"]", "issuer"),
            // A public-key issuer serves many applications: its audience is required.
            ("issuer = \"https://x.example\"", "audiences"),
            (
                "strategy = \"jwks\"\nissuer = \"https://x.example\"\njwks_url = \"https://x.example/jwks\"",
                "audiences",
            ),
            // The opaque-token strategies: each setting needed, and only where it is used.
            (
                "strategy = \"userinfo\"\nissuer = \"https://api.github.com\"",
                "userinfo_url",
            ),
            (
                "strategy = \"userinfo\"\nissuer = \"https://api.github.com\"\nuserinfo_url = \"http://169.254.169.254/user\"",
                "userinfo",
            ),
            (
                "strategy = \"userinfo\"\nissuer = \"https://api.github.com\"\nuserinfo_url = \"https://api.github.com/user\"\naudiences = [\"a\"]",
                "audiences",
            ),
            (
                "issuer = \"https://x.example\"\naudiences = [\"a\"]\nuserinfo_url = \"https://x.example/user\"",
                "userinfo_url",
            ),
            (
                "strategy = \"introspection\"\nissuer = \"https://x.example\"\naudiences = [\"a\"]\nclient_id = \"c\"\nclient_secret = \"s\"",
                "introspection_url",
            ),
            (
                "strategy = \"introspection\"\nissuer = \"https://x.example\"\naudiences = [\"a\"]\nintrospection_url = \"https://x.example/introspect\"\nclient_id = \"c\"",
                "client_secret",
            ),
            (
                "strategy = \"introspection\"\nissuer = \"https://x.example\"\nintrospection_url = \"https://x.example/introspect\"\nclient_id = \"c\"\nclient_secret = \"s\"",
                "audiences",
            ),
            (
                "issuer = \"https://x.example\"\naudiences = [\"a\"]\nclient_auth = \"post\"",
                "introspection_url",
            ),
            (
                "issuer = \"https://x.example\"\naudiences = [\"a\"]\nopaque_cache_ttl = \"10s\"",
                "opaque_cache_ttl",
            ),
            (
                "strategy = \"userinfo\"\nissuer = \"https://api.github.com\"\nuserinfo_url = \"https://api.github.com/user\"\nopaque_cache_ttl = \"soon\"",
                "opaque_cache_ttl",
            ),
        ];
        for (toml, field) in cases {
            let err = project(toml).expect_err(toml);
            assert_eq!(
                err.field,
                format!("projects[0].verification.{field}"),
                "{toml}: {err}"
            );
        }
    }

    #[test]
    fn a_shared_issuer_needs_an_audience_or_an_explicit_waiver() {
        assert!(project("issuer = \"https://x.example\"\naudiences = [\"app\"]").is_ok());
        // The waiver is logged when the verifier is built (at startup).
        let logs = tambo_auth_testkit::logs::capture();
        assert!(project("issuer = \"https://x.example\"\nallow_any_audience = true").is_ok());
        assert!(
            logs.text().contains("allow_any_audience"),
            "{}",
            logs.text()
        );
        // A shared secret is this application's own: no audience needed.
        assert!(
            project(
                "strategy = \"symmetric\"\nissuer = \"x\"\nsecret = \"Qm9va3NoZWxmLTk3OjFhOWZjOTk1ZjBiYjQ\""
            )
            .is_ok()
        );
    }

    #[test]
    fn tambo_strategy_names_are_accepted() {
        let config = Config::parse(
            "[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"asymmetric_auto\"\nissuer = \"https://x.example\"",
        )
        .unwrap();
        assert_eq!(
            config.projects[0].verification.as_ref().map(|v| v.strategy),
            Some(StrategyName::OidcDiscovery)
        );
    }

    fn preset(text: &str) -> Result<Arc<dyn Provider>, ConfigError> {
        let config = Config::parse(&format!("[[projects]]\nid = \"p\"\n{text}"))?;
        let (i, p) = config.project(None)?;
        build_provider(p, i, config.profile())
    }

    #[test]
    fn provider_presets_build_their_adapter_and_name_bad_settings() {
        let clerk = preset(
            "[projects.provider]\nkind = \"clerk\"\nfrontend_api = \"https://clerk.acme.dev\"\nauthorized_parties = [\"https://acme.dev\"]",
        )
        .expect("clerk preset");
        assert_eq!(clerk.name(), "clerk");
        assert_eq!(clerk.verifier().issuer(), "https://clerk.acme.dev");
        let auth0 = preset(
            "[projects.provider]\nkind = \"auth0\"\ndomain = \"acme.us.auth0.com\"\naudience = \"https://api.acme.dev\"",
        )
        .expect("auth0 preset");
        assert_eq!(auth0.verifier().issuer(), "https://acme.us.auth0.com/");
        let entra = preset(
            "[projects.provider]\nkind = \"entra\"\ntenant = \"organizations\"\nclient_id = \"6e74172b-be56-4843-9ff4-e66a39bb12e3\"\nallowed_tenants = [\"72f988bf-86f1-41af-91ab-2d7cd011db47\"]\nidentity = \"oid\"",
        )
        .expect("entra preset");
        assert_eq!(entra.name(), "entra");
        assert_eq!(
            entra.verifier().issuers(),
            ["https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"]
        );
        assert_eq!(
            entra.refused_issuers(),
            ["https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"]
        );
        let okta = preset(
            "[projects.provider]\nkind = \"okta\"\nissuer = \"https://acme.okta.com/oauth2/default\"\naudiences = [\"api://default\"]",
        )
        .expect("okta preset");
        assert_eq!(okta.name(), "okta");
        assert_eq!(
            okta.verifier().issuer(),
            "https://acme.okta.com/oauth2/default"
        );
        let keycloak = preset(
            "[projects.provider]\nkind = \"keycloak\"\nissuer = \"https://sso.acme.com/auth/realms/acme\"\naudiences = [\"threads-api\"]\nauthorized_parties = [\"threads-web\"]\nalgorithms = [\"RS256\", \"ES256\"]",
        )
        .expect("keycloak preset");
        assert_eq!(keycloak.name(), "keycloak");
        assert_eq!(
            keycloak.verifier().issuer(),
            "https://sso.acme.com/auth/realms/acme"
        );
        let login_gov = preset(
            "[projects.provider]\nkind = \"login-gov\"\nclient_id = \"urn:gov:gsa:openidconnect.profiles:sp:sso:acme:threads\"\nenvironment = \"sandbox\"\nrequire_identity_verification = true",
        )
        .expect("login-gov preset");
        assert_eq!(login_gov.name(), "login-gov");
        assert_eq!(
            login_gov.verifier().issuer(),
            "https://idp.int.identitysandbox.gov/"
        );
        let github = preset("[projects.provider]\nkind = \"github\"").expect("github preset");
        assert_eq!(github.name(), "github");
        assert_eq!(github.verifier().issuer(), "https://api.github.com");
        assert_eq!(
            github.verifier().strategy(),
            tambo_auth::StrategyKind::Userinfo
        );
        let enterprise = preset(
            "[projects.provider]\nkind = \"github\"\napi_url = \"https://github.acme.com/api/v3\"\nallow_personal_access_tokens = true",
        )
        .expect("github enterprise preset");
        assert_eq!(enterprise.verifier().issuer(), "https://github.acme.com");
        let firebase = preset(
            "[projects.provider]\nkind = \"firebase\"\nproject_id = \"acme-threads\"\nallow_anonymous = false\nallowed_sign_in_providers = [\"password\", \"google.com\"]\nallowed_tenants = [\"acme-x1y2z\"]\nmax_auth_age = \"15m\"",
        )
        .expect("firebase preset");
        assert_eq!(firebase.name(), "firebase");
        assert_eq!(
            firebase.verifier().issuer(),
            "https://securetoken.google.com/acme-threads"
        );
        assert_eq!(
            firebase.refused_issuers(),
            ["https://session.firebase.google.com/acme-threads"]
        );
        for (text, field) in [
            (
                "[projects.provider]\nkind = \"github\"\napi_url = \"http://github.acme.com/api/v3\"",
                "provider.api_url",
            ),
            ("[projects.provider]\nfrontend_api = \"x\"", "provider.kind"),
            ("[projects.provider]\nkind = \"pingone\"", "provider.kind"),
            (
                "[projects.provider]\nkind = \"clerk\"\nfrontend = \"typo\"",
                "provider",
            ),
            (
                "[projects.provider]\nkind = \"auth0\"\ndomain = \"acme.us.auth0.com\"\naudience = \"https://api.acme.dev\"\n[projects.verification]\nissuer = \"https://other\"",
                "verification",
            ),
            ("", "verification"),
            // Each kind's builder checks its own keys, named under `provider`.
            (
                "[projects.provider]\nkind = \"auth0\"\ndomain = \"acme.us.auth0.com\"",
                "provider.audience",
            ),
            (
                "[projects.provider]\nkind = \"auth0\"\ndomain = \"acme.us.auth0.com\"\naudience = \"https://api.acme.dev\"\nalgorithms = [\"RS257\"]",
                "provider.algorithms",
            ),
            (
                "[projects.provider]\nkind = \"supabase\"\nproject_url = \"acme\"",
                "provider.project_url",
            ),
            (
                "[projects.provider]\nkind = \"workos\"\nclient_id = \"sk_test_x\"",
                "provider.client_id",
            ),
            (
                "[projects.provider]\nkind = \"better-auth\"\nbase_url = \"https://acme.dev\"\njwks_path = \"jwks\"",
                "provider.jwks_path",
            ),
            (
                "[projects.provider]\nkind = \"neon\"\nmode = \"stack-auth\"\nproject_id = \"https://x\"",
                "provider.project_id",
            ),
            (
                "[projects.provider]\nkind = \"google\"\nclient_ids = []",
                "provider.client_ids",
            ),
            // Any Microsoft tenant could mint tokens for a multi-tenant app without the list.
            (
                "[projects.provider]\nkind = \"entra\"\ntenant = \"common\"\nclient_id = \"6e74172b-be56-4843-9ff4-e66a39bb12e3\"",
                "provider.allowed_tenants",
            ),
            (
                "[projects.provider]\nkind = \"entra\"\ntenant = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\nclient_id = \"api://acme\"",
                "provider.client_id",
            ),
            (
                "[projects.provider]\nkind = \"okta\"\nissuer = \"https://acme.okta.com/oauth2/default\"",
                "provider.audiences",
            ),
            (
                "[projects.provider]\nkind = \"okta\"\nissuer = \"https://acme.okta.com/oauth2/default/v1/keys\"\naudiences = [\"api://default\"]",
                "provider.issuer",
            ),
            (
                "[projects.provider]\nkind = \"keycloak\"\nissuer = \"https://sso.acme.com/realms/acme\"",
                "provider.audiences",
            ),
            (
                "[projects.provider]\nkind = \"keycloak\"\nissuer = \"https://sso.acme.com/realms/acme/\"\naudiences = [\"threads-api\"]",
                "provider.issuer",
            ),
            (
                "[projects.provider]\nkind = \"keycloak\"\nissuer = \"https://sso.acme.com/realms/acme\"\naudiences = [\"threads-api\"]\nalgorithms = [\"HS256\"]",
                "provider.algorithms",
            ),
            (
                "[projects.provider]\nkind = \"login-gov\"\nenvironment = \"sandbox\"",
                "provider.client_id",
            ),
            (
                "[projects.provider]\nkind = \"login-gov\"\nclient_id = \"urn:gov:gsa:openidconnect.profiles:sp:sso:acme:threads\"\nenvironment = \"staging\"",
                "provider",
            ),
            (
                "[projects.provider]\nkind = \"firebase\"\nproject_id = \"AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY\"",
                "provider.project_id",
            ),
            (
                "[projects.provider]\nkind = \"firebase\"\nproject_id = \"acme-threads\"\nmax_auth_age = \"a while\"",
                "provider.max_auth_age",
            ),
            (
                "[projects.provider]\nkind = \"firebase\"\nproject_id = \"acme-threads\"\ntenants = [\"acme-x1y2z\"]",
                "provider",
            ),
        ] {
            let err = preset(text).expect_err(text);
            assert_eq!(err.field, format!("projects[0].{field}"), "{text}: {err}");
        }
    }

    #[test]
    fn the_opaque_token_strategies_build_from_their_settings() {
        let github = project(
            "strategy = \"userinfo\"\nissuer = \"https://api.github.com\"\n\
             userinfo_url = \"https://api.github.com/user\"\nuserinfo_identity = \"id\"\nopaque_cache_ttl = \"30s\"",
        )
        .expect("userinfo");
        assert_eq!(github.strategy(), tambo_auth::StrategyKind::Userinfo);
        let okta = project(
            "strategy = \"introspection\"\nissuer = \"https://acme.okta.com/oauth2/default\"\n\
             audiences = [\"api://default\"]\n\
             introspection_url = \"https://acme.okta.com/oauth2/default/v1/introspect\"\n\
             client_id = \"0oa1threads\"\nclient_secret = \"introspection-secret-0123456789\"\nclient_auth = \"post\"",
        )
        .expect("introspection");
        assert_eq!(okta.strategy(), tambo_auth::StrategyKind::Introspection);
        assert!(!format!("{okta:?}").contains("introspection-secret-0123456789"));
    }

    #[test]
    fn a_migration_window_builds_both_paths_and_names_its_settings() {
        let registry = |migration: &str| {
            let config = Config::parse(&format!(
                "[[projects]]\nid = \"p\"\n[projects.verification]\nissuer = \"https://new.example\"\n\
                 audiences = [\"a\"]\n[projects.migration]\n{migration}"
            ))?;
            let (i, p) = config.project(None)?;
            build_registry(p, i, config.profile())
        };
        let built = registry(
            "until = \"2027-01-31\"\n[projects.migration.verification]\nissuer = \"https://old.example\"\naudiences = [\"a\"]",
        )
        .expect("window");
        let paths = built.migrations();
        assert_eq!(paths.len(), 2);
        assert_eq!(
            humantime::format_rfc3339_seconds(paths[1].until).to_string(),
            "2027-01-31T00:00:00Z"
        );
        registry(
            "until = \"2027-01-31T12:30:00Z\"\n[projects.migration.verification]\nissuer = \"https://old.example\"\naudiences = [\"a\"]",
        )
        .expect("a date-time");
        for (migration, field) in [
            (
                "until = \"next spring\"\n[projects.migration.verification]\nissuer = \"https://old.example\"\naudiences = [\"a\"]",
                "projects[0].migration.until",
            ),
            (
                "until = \"2027-01-31\"",
                "projects[0].migration.verification",
            ),
            (
                "until = \"2027-01-31\"\n[projects.migration.verification]\nissuer = \"https://old.example\"",
                "projects[0].migration.verification.audiences",
            ),
            (
                "until = \"2027-01-31\"\n[projects.migration.provider]\nkind = \"okta\"\nissuer = \"https://acme.okta.com/oauth2/default\"",
                "projects[0].migration.provider.audiences",
            ),
        ] {
            let error = registry(migration).expect_err(migration);
            assert_eq!(error.field, field, "{migration}: {error}");
        }
    }

    #[test]
    fn debug_output_shows_no_secret_and_no_api_key() {
        let config = Config::parse(
            "[server]\nops_token = \"ops-token-0123456789abcdef0123456789\"\n\
             [[projects]]\nid = \"p\"\napi_keys = [\"tambo_pk_live_s3cr3t\", \"sha256:5e884898da28\"]\n\
             [projects.verification]\nstrategy = \"symmetric\"\nissuer = \"x\"\n\
             secret = \"hmac-secret-0123456789abcdefghijklmnop\"\n",
        )
        .unwrap();
        let debug = format!("{config:?}");
        for secret in [
            "tambo_pk_live_s3cr3t",
            "5e884898da28",
            "hmac-secret-0123456789",
            "ops-token-0123456789",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(
            debug.contains("api_keys"),
            "the settings are still named: {debug}"
        );
        // The values are still there for the code that needs them.
        assert_eq!(
            config.projects[0].api_keys[0].expose(),
            "tambo_pk_live_s3cr3t"
        );
    }

    #[test]
    fn duplicate_project_ids_and_keys_dir_are_refused() {
        let err = Config::parse(
            "[[projects]]\nid = \"p_a\"\n[[projects]]\nid = \"p_b\"\n[[projects]]\nid = \"p_a\"\n",
        )
        .expect_err("duplicate");
        assert_eq!(err.field, "projects[2].id", "{err}");
        assert!(
            err.reason.contains("\"p_a\"") && err.reason.contains("projects[0].id"),
            "{err}"
        );
        let err = Config::parse("[token]\nkeys_dir = \"/var/lib/tambo\"\n").expect_err("keys_dir");
        assert!(err.reason.contains("keys_dir"), "{err}");
    }

    #[test]
    fn none_runs_only_in_development() {
        let config = Config::parse(
            "[server]\nprofile = \"development\"\n[[projects]]\nid = \"p\"\n[projects.verification]\nstrategy = \"none\"\nissuer = \"dev\"",
        )
        .unwrap();
        let (i, p) = config.project(Some("p")).unwrap();
        assert!(build_verifier(p, i, config.profile()).is_ok());
    }
}
