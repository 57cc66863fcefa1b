//! Run-time project administration: projects, their verification settings and API keys kept in
//! the database, changed through the admin API (`/admin/v1`, [`router`]), the settings page
//! (`/admin`) or `tambo-auth projects …`, and served by every replica within
//! [`PROJECTS_REFRESH`] without a restart ([`LiveProjects`]).
//!
//! - **Validation on save is the verifier builder itself**: the settings are built exactly as
//!   the exchange builds them, and a setting that does not build is a 400 naming it
//!   (`verification.secret`); nothing is saved.
//! - **Secrets** (`verification.secret`, `verification.client_secret`) are sealed with
//!   [`SecretKey`] before they are stored and never returned: a project says `hasSecret`.
//!   Saving without them keeps the stored ones while the strategy still uses them.
//! - **API keys** are generated here, shown once, and stored as SHA-256 digests.
//! - **Projects of the configuration file** are listed, read-only (`managedBy: "config"`).
//! - Every change is in the audit trail, which holds setting names and ids, never a secret or
//!   a key.

pub mod cli;
mod http;
mod live;
mod page;
mod secret;

pub use http::router;
pub use live::{LiveProjects, PROJECTS_REFRESH, ServerProjects};
pub use secret::SecretKey;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use serde::Deserialize as _;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use tambo_auth::{Profile, ProviderRegistry};

use crate::config::{
    ConfigError, ProjectConfig, StrategyName, VerificationConfig, VerificationPath,
};
use crate::store::{AuditEntry, Store, StoreError, StoredApiKey, StoredProject, unix_now};

/// The settings that hold secrets: sealed at rest, never returned.
const SECRET_FIELDS: [(&str, StrategyName); 2] = [
    ("secret", StrategyName::Symmetric),
    ("client_secret", StrategyName::Introspection),
];

/// How many audit entries `GET /admin/v1/audit` returns, newest first.
const AUDIT_PAGE: i64 = 500;

fn rfc3339(seconds: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A refusal of the admin API, answered as RFC 9457 `application/problem+json`; `field` names
/// the setting at fault (`verification.secret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// A short, fixed summary of the kind of problem.
    pub title: &'static str,
    /// What is wrong, for people.
    pub detail: String,
    /// The setting at fault, as the configuration file names it.
    pub field: Option<String>,
}

impl Problem {
    fn new(status: u16, title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title,
            detail: detail.into(),
            field: None,
        }
    }

    fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            field: Some(field.into()),
            ..Problem::new(400, "invalid setting", detail)
        }
    }

    fn not_found(what: &str) -> Problem {
        Problem::new(404, "not found", format!("no {what} with this id"))
    }

    fn read_only(id: &str) -> Problem {
        Problem::new(
            409,
            "managed by the configuration file",
            format!("project {id} is defined in the configuration file: change it there"),
        )
    }

    /// The problem as its JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        });
        if let Some(field) = &self.field {
            body["field"] = json!(field);
        }
        body
    }
}

/// As the `/v1` API sorts store errors (`ApiError`): the caller's input, an unreachable
/// database worth retrying, or the server's fault.
impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        if error.is_client_error() {
            Problem::new(400, "invalid request", error.to_string())
        } else if error.is_unavailable() {
            tracing::warn!(%error, "the admin API could not reach the database");
            Problem::new(
                503,
                "database unavailable",
                "the database could not be reached; retry",
            )
        } else {
            tracing::error!(%error, "an admin database operation failed");
            Problem::new(500, "internal error", "internal error")
        }
    }
}

impl From<ConfigError> for Problem {
    fn from(error: ConfigError) -> Problem {
        Problem::invalid(error.field, error.reason)
    }
}

/// One project's verification settings as JSON, the names of the configuration file: what
/// the admin API takes, what is stored (secrets apart) and what is built.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    verification: Option<Value>,
    provider: Option<Value>,
}

/// The secrets sealed for `stored`, opened: a JSON object of setting names (empty when none
/// are stored).
fn open_secrets(
    stored: &StoredProject,
    keys: Option<&SecretKey>,
) -> Result<Map<String, Value>, String> {
    let Some(sealed) = &stored.secrets else {
        return Ok(Map::new());
    };
    let keys =
        keys.ok_or("TAMBO_AUTH_SECRET_KEY is not set: the stored secrets cannot be opened")?;
    serde_json::from_str(&keys.open(&stored.id, sealed)?)
        .map_err(|_| "the stored secrets are not a JSON object".to_owned())
}

impl Settings {
    /// The settings of a stored project, its secrets opened.
    pub(crate) fn from_stored(
        stored: &StoredProject,
        keys: Option<&SecretKey>,
    ) -> Result<Settings, String> {
        let json: Value = serde_json::from_str(&stored.settings)
            .map_err(|_| "the stored settings are not JSON".to_owned())?;
        let member = |name: &str| json.get(name).filter(|v| !v.is_null()).cloned();
        let mut settings = Settings {
            verification: member("verification"),
            provider: member("provider"),
        };
        if let Some(Value::Object(verification)) = &mut settings.verification {
            verification.extend(open_secrets(stored, keys)?);
        }
        Ok(settings)
    }

    /// Builds the settings exactly as the exchange would: the validation of every save.
    pub(crate) fn registry(&self, profile: Profile) -> Result<ProviderRegistry, ConfigError> {
        fn read<T: serde::de::DeserializeOwned>(
            section: &Option<Value>,
            field: &str,
        ) -> Result<Option<T>, ConfigError> {
            section
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| ConfigError {
                    field: field.into(),
                    reason: e.to_string(),
                })
        }
        let verification: Option<VerificationConfig> = read(&self.verification, "verification")?;
        let provider: Option<toml::Table> = read(&self.provider, "provider")?;
        let path = VerificationPath {
            prefix: String::new(),
            verification: verification.as_ref(),
            provider: provider.as_ref(),
        };
        ProviderRegistry::builder()
            .shared(path.build(profile)?)
            .build()
            .map_err(|e| ConfigError {
                field: "verification".into(),
                reason: e.to_string(),
            })
    }

    /// The verification's strategy, read as the configuration reads it (aliases and the
    /// default included); `None` for a provider preset alone. A name that is no strategy reads
    /// as the default here: building the settings refuses it.
    fn strategy(&self) -> Option<StrategyName> {
        let verification = self.verification.as_ref()?;
        Some(
            verification
                .get("strategy")
                .and_then(|name| StrategyName::deserialize(name).ok())
                .unwrap_or_default(),
        )
    }
}

/// A project of the configuration file, as the admin API shows it (read-only).
#[derive(Debug, Clone)]
pub struct FileProject {
    id: String,
    verification: Option<Value>,
    provider: Option<Value>,
    has_secret: bool,
    api_keys: usize,
    /// What serves it, where tokens are tried; `None` elsewhere (the CLI's other commands),
    /// since building reads the secrets and key files the project names.
    registry: Option<ProviderRegistry>,
}

impl FileProject {
    /// `project` of the file, served by `registry` where tokens are tried.
    pub fn new(project: &ProjectConfig, registry: Option<ProviderRegistry>) -> FileProject {
        let verification = project.verification.as_ref();
        FileProject {
            id: project.id.clone(),
            verification: verification
                .and_then(|v| serde_json::to_value(v).ok())
                .map(set_only),
            provider: project
                .provider
                .as_ref()
                .and_then(|p| serde_json::to_value(p).ok()),
            has_secret: verification.is_some_and(|v| {
                v.secret.is_some()
                    || v.secret_env.is_some()
                    || v.client_secret.is_some()
                    || v.client_secret_env.is_some()
            }),
            api_keys: project.api_keys.len(),
            registry,
        }
    }
}

/// The settings of a serialized [`VerificationConfig`] that differ from the defaults (the
/// strategy always): what the file says, not every default it implies.
fn set_only(value: Value) -> Value {
    let defaults = serde_json::to_value(VerificationConfig::default()).unwrap_or_default();
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, v)| k == "strategy" || defaults.get(k) != Some(v))
                .collect(),
        ),
        other => other,
    }
}

/// The operations of the admin API and of `tambo-auth projects …`, on one store.
#[derive(Debug, Clone)]
pub struct Admin {
    inner: Arc<AdminParts>,
    /// Verification settings the settings page offers as ready-made choices (the
    /// development identity provider of `tambo-auth dev`).
    templates: Arc<[Value]>,
}

/// What the operations of an [`Admin`] work on.
#[derive(Debug)]
pub struct AdminParts {
    /// Where projects, their keys and the audit trail are kept.
    pub store: Store,
    /// The deployment profile the settings are built for.
    pub profile: Profile,
    /// Seals the settings' secrets; without it, a secret cannot be saved.
    pub keys: Option<Arc<SecretKey>>,
    /// The projects of the configuration file, listed read-only.
    pub file: Vec<FileProject>,
    /// Refreshed after each change, so this replica serves it at once.
    pub live: Arc<LiveProjects>,
    /// Who the audit trail says made each change (`admin-api`, `cli`).
    pub actor: &'static str,
}

impl Admin {
    /// The operations on `parts`.
    pub fn new(parts: AdminParts) -> Admin {
        Admin {
            inner: Arc::new(parts),
            templates: Arc::new([]),
        }
    }

    /// Offers `templates` (each `{"label", "verification"?, "provider"?}`) on the settings
    /// page as ready-made choices, as `tambo-auth dev` does for its identity provider.
    #[must_use]
    pub fn with_templates(mut self, templates: &[Value]) -> Admin {
        self.templates = templates.into();
        self
    }

    fn file_project(&self, id: &str) -> Option<&FileProject> {
        self.inner.file.iter().find(|p| p.id == id)
    }

    fn audit(&self, action: &str, project: &str, detail: Value) -> AuditEntry {
        AuditEntry {
            at: unix_now(),
            actor: self.inner.actor.to_owned(),
            action: action.to_owned(),
            project: Some(project.to_owned()),
            detail: detail.to_string(),
        }
    }

    async fn refresh(&self) {
        if let Err(error) = self.inner.live.refresh().await {
            tracing::warn!(%error, "serving the change waits for the next refresh");
        }
    }

    /// `GET /admin/v1/projects`: `{projects: [project], profile, providerKinds, templates}`,
    /// the file's projects first; `profile` (`production` or `development`, where `none` is
    /// allowed), the preset kinds and the ready-made settings are for the settings page.
    ///
    /// # Errors
    ///
    /// 503 when the database cannot be read.
    pub async fn list_projects(&self) -> Result<Value, Problem> {
        let stored = self.inner.store.projects().await?;
        let keys = self.inner.store.api_keys().await?;
        let mut projects: Vec<Value> = self.inner.file.iter().map(file_view).collect();
        for project in &stored {
            projects.push(self.view(project, &keys));
        }
        let profile = match self.inner.profile {
            Profile::Development => "development",
            _ => "production",
        };
        Ok(json!({
            "projects": projects,
            "profile": profile,
            "providerKinds": crate::config::PROVIDER_KINDS,
            "templates": self.templates,
        }))
    }

    fn view(&self, project: &StoredProject, keys: &[StoredApiKey]) -> Value {
        let settings: Value = serde_json::from_str(&project.settings).unwrap_or_default();
        let api_keys: Vec<Value> = keys
            .iter()
            .filter(|k| k.project == project.id)
            .map(|k| {
                json!({
                    "id": k.id,
                    "prefix": k.prefix,
                    "created": rfc3339(k.created_at),
                    "lastUsed": k.last_used_at.map(rfc3339),
                })
            })
            .collect();
        json!({
            "id": project.id,
            "name": project.name,
            "managedBy": "api",
            "verification": settings.get("verification"),
            "provider": settings.get("provider"),
            "hasSecret": project.secrets.is_some(),
            "apiKeys": api_keys,
            "updated": rfc3339(project.updated_at),
            "problem": self.inner.live.problem(&project.id),
        })
    }

    async fn stored(&self, id: &str) -> Result<StoredProject, Problem> {
        if self.file_project(id).is_some() {
            return Err(Problem::read_only(id));
        }
        self.inner
            .store
            .project(id)
            .await?
            .ok_or_else(|| Problem::not_found("project"))
    }

    async fn project_view(&self, id: &str) -> Result<Value, Problem> {
        let project = self.stored(id).await?;
        let keys = self.inner.store.api_keys().await?;
        Ok(self.view(&project, &keys))
    }

    /// `POST /admin/v1/projects` `{id?, name}`: the new project (no verification yet).
    ///
    /// # Errors
    ///
    /// 400 for a missing name or a malformed id, 409 for an id in use.
    pub async fn create_project(&self, body: &Value) -> Result<Value, Problem> {
        let body = object(body, &["id", "name"])?;
        let name = match body.get("name") {
            Some(Value::String(name)) if !name.trim().is_empty() && name.len() <= 200 => {
                name.trim()
            }
            _ => {
                return Err(Problem::invalid(
                    "name",
                    "required: a name of 1 to 200 characters",
                ));
            }
        };
        let id = match body.get("id") {
            None | Some(Value::Null) => format!("p_{}", random_hex(8)),
            Some(Value::String(id))
                if (1..=64).contains(&id.len())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                id.clone()
            }
            _ => {
                return Err(Problem::invalid(
                    "id",
                    "1 to 64 letters, digits, `_` or `-` (or leave it out for a generated id)",
                ));
            }
        };
        let taken = || Problem::new(409, "id in use", format!("a project {id} exists already"));
        if self.file_project(&id).is_some() {
            return Err(taken());
        }
        let now = unix_now();
        let project = StoredProject {
            id: id.clone(),
            name: name.to_owned(),
            settings: "{}".into(),
            secrets: None,
            created_at: now,
            updated_at: now,
        };
        let audit = self.audit("project.create", &id, json!({ "name": name }));
        if !self.inner.store.insert_project(&project, &audit).await? {
            return Err(taken());
        }
        self.refresh().await;
        self.project_view(&id).await
    }

    /// `PUT /admin/v1/projects/{id}/verification` `{verification?, provider?}`: validated by
    /// building it, then stored (secrets sealed) and served.
    ///
    /// # Errors
    ///
    /// 400 naming the setting that does not build (nothing is saved), 404, 409 for a project
    /// of the configuration file.
    pub async fn set_verification(&self, id: &str, body: &Value) -> Result<Value, Problem> {
        let stored = self.stored(id).await?;
        let body = object(body, &["verification", "provider"])?;
        let mut settings = Settings {
            verification: section(body, "verification")?,
            provider: section(body, "provider")?,
        };
        if settings.verification.is_none() && settings.provider.is_none() {
            return Err(Problem::invalid(
                "verification",
                "give `verification` (a strategy and its settings) or `provider` (a preset), or both",
            ));
        }
        // Secrets given now, then the stored ones the strategy still uses.
        let mut secrets = Map::new();
        if let Some(Value::Object(verification)) = &mut settings.verification {
            for (name, _) in SECRET_FIELDS {
                match verification.remove(name) {
                    None | Some(Value::Null) => {}
                    Some(Value::String(s)) if s.is_empty() => {}
                    Some(Value::String(s)) => {
                        secrets.insert(name.to_owned(), Value::String(s));
                    }
                    Some(_) => {
                        return Err(Problem::invalid(format!("verification.{name}"), "a string"));
                    }
                }
            }
        }
        let kept = self.kept_secrets(&stored, &settings, &secrets)?;
        let changed: Vec<&str> = secrets.keys().map(String::as_str).collect();
        let changed = json!(changed);
        secrets.extend(kept);
        let mut candidate = settings.clone();
        if let Some(Value::Object(verification)) = &mut candidate.verification {
            verification.extend(secrets.clone());
        }
        candidate.registry(self.inner.profile)?;

        let sealed = if secrets.is_empty() {
            None
        } else {
            let keys = self.inner.keys.as_deref().ok_or_else(|| {
                Problem::invalid(
                    format!("verification.{}", secrets.keys().next().map_or("secret", String::as_str)),
                    "this server cannot store secrets: set TAMBO_AUTH_SECRET_KEY (32 random bytes, `openssl rand -base64 32`) on every replica",
                )
            })?;
            Some(keys.seal(id, &Value::Object(secrets).to_string()))
        };
        let stored_settings = json!({
            "verification": settings.verification,
            "provider": settings.provider,
        });
        let audit = self.audit(
            "project.verification",
            id,
            json!({
                "strategy": settings.strategy(),
                "kind": settings.provider.as_ref().and_then(|p| p.get("kind")),
                "settings": setting_names(&settings),
                "secretsChanged": changed,
            }),
        );
        let now = unix_now();
        if !self
            .inner
            .store
            .update_project_settings(
                id,
                &stored_settings.to_string(),
                sealed.as_deref(),
                now,
                &audit,
            )
            .await?
        {
            return Err(Problem::not_found("project"));
        }
        self.refresh().await;
        self.project_view(id).await
    }

    /// The stored secrets still used by `settings` and not given again.
    fn kept_secrets(
        &self,
        stored: &StoredProject,
        settings: &Settings,
        given: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Problem> {
        let strategy = settings.strategy();
        let wanted: Vec<&str> = SECRET_FIELDS
            .iter()
            .filter(|(name, uses)| !given.contains_key(*name) && strategy == Some(*uses))
            .map(|(name, _)| *name)
            .collect();
        if wanted.is_empty() {
            return Ok(Map::new());
        }
        let previous = open_secrets(stored, self.inner.keys.as_deref())
            .map_err(|reason| Problem::new(503, "stored secret unreadable", reason))?;
        Ok(wanted
            .into_iter()
            .filter_map(|name| previous.get(name).map(|v| (name.to_owned(), v.clone())))
            .collect())
    }

    /// `POST /admin/v1/projects/{id}/verification/test` `{token}`: what the exchange would make
    /// of `token` now, nothing issued.
    ///
    /// # Errors
    ///
    /// 400 without a token, 404, 409 when the project has no usable settings.
    pub async fn test_token(&self, id: &str, body: &Value) -> Result<Value, Problem> {
        let body = object(body, &["token"])?;
        let Some(Value::String(token)) = body.get("token") else {
            return Err(Problem::invalid("token", "required: the token to try"));
        };
        // The registry the exchange of this replica uses now: no second build, no second
        // fetch of the provider's keys.
        let registry = match self.file_project(id) {
            Some(file) => file.registry.clone().ok_or_else(|| {
                Problem::new(
                    409,
                    "settings unusable",
                    "this project of the configuration file is not built here",
                )
            })?,
            None => {
                if self.inner.store.project(id).await?.is_none() {
                    return Err(Problem::not_found("project"));
                }
                let served = self.inner.live.project(id).ok_or_else(|| {
                    let problem = self.inner.live.problem(id);
                    Problem::new(
                        409,
                        "settings unusable",
                        problem.unwrap_or_else(|| "not served yet; retry in a moment".into()),
                    )
                })?;
                served.registry().clone()
            }
        };
        Ok(match registry.authenticate(token.trim()).await {
            Ok(user) => json!({
                "ok": true,
                "user": {
                    "sub": user.sub(),
                    "issuer": user.issuer(),
                    "provider": user.provider(),
                    "tenant": user.tenant(),
                    "email": user.email(),
                    "contextKey": user.context_key().as_str(),
                },
                "explanation": format!(
                    "an exchange would issue a token for {} (context key {})",
                    user.sub(),
                    user.context_key()
                ),
            }),
            Err(error) => {
                let mut explanation = error.to_string();
                if let Some(hint) = crate::inspect::hint(&error)
                    && !explanation.contains(hint)
                {
                    explanation.push_str("; ");
                    explanation.push_str(hint);
                }
                json!({
                    "ok": false,
                    "error": error.kind().code(),
                    "explanation": explanation,
                })
            }
        })
    }

    /// `POST /admin/v1/projects/{id}/api-keys`: `{id, key}`, the key shown this once.
    ///
    /// # Errors
    ///
    /// 404, 409 for a project of the configuration file.
    pub async fn create_api_key(&self, project: &str) -> Result<Value, Problem> {
        self.stored(project).await?;
        let key = format!("tambo_pk_{}", random_hex(24));
        let stored = StoredApiKey {
            id: format!("key_{}", random_hex(8)),
            project: project.to_owned(),
            digest: hex::encode(Sha256::digest(key.as_bytes())),
            prefix: key[..13].to_owned(),
            created_at: unix_now(),
            last_used_at: None,
        };
        let audit = self.audit(
            "api_key.create",
            project,
            json!({ "keyId": stored.id, "prefix": stored.prefix }),
        );
        self.inner.store.insert_api_key(&stored, &audit).await?;
        self.refresh().await;
        Ok(json!({ "id": stored.id, "key": key }))
    }

    /// `DELETE /admin/v1/projects/{id}/api-keys/{keyId}`.
    ///
    /// # Errors
    ///
    /// 404, 409 for a project of the configuration file.
    pub async fn delete_api_key(&self, project: &str, key_id: &str) -> Result<(), Problem> {
        self.stored(project).await?;
        let audit = self.audit("api_key.delete", project, json!({ "keyId": key_id }));
        if !self
            .inner
            .store
            .delete_api_key(project, key_id, &audit)
            .await?
        {
            return Err(Problem::not_found("API key"));
        }
        self.refresh().await;
        Ok(())
    }

    /// Seals every stored secret with the current `TAMBO_AUTH_SECRET_KEY` (`tambo-auth
    /// projects reencrypt`, the second step of a rotation): `{reencrypted: n}`.
    ///
    /// # Errors
    ///
    /// 503 without a secret key, or for a secret that opens under neither key (nothing is
    /// changed for that project).
    pub async fn reencrypt(&self) -> Result<Value, Problem> {
        let keys = self.inner.keys.as_deref().ok_or_else(|| {
            Problem::new(
                503,
                "secret key missing",
                "set TAMBO_AUTH_SECRET_KEY (and TAMBO_AUTH_SECRET_KEY_PREVIOUS during a rotation)",
            )
        })?;
        let mut reencrypted = 0;
        for project in self.inner.store.projects().await? {
            let Some(sealed) = project.secrets.as_deref().filter(|s| !keys.is_current(s)) else {
                continue;
            };
            let opened = keys.open(&project.id, sealed).map_err(|reason| {
                Problem::new(
                    503,
                    "stored secret unreadable",
                    format!("project {}: {reason}", project.id),
                )
            })?;
            let audit = self.audit(
                "project.reencrypt",
                &project.id,
                json!({ "key": keys.current_id() }),
            );
            self.inner
                .store
                .update_project_settings(
                    &project.id,
                    &project.settings,
                    Some(&keys.seal(&project.id, &opened)),
                    project.updated_at,
                    &audit,
                )
                .await?;
            reencrypted += 1;
        }
        self.refresh().await;
        Ok(json!({ "reencrypted": reencrypted }))
    }

    /// `GET /admin/v1/audit`: `{entries: [...]}`, newest first.
    ///
    /// # Errors
    ///
    /// 503 when the database cannot be read.
    pub async fn audit_log(&self) -> Result<Value, Problem> {
        let entries: Vec<Value> = self
            .inner
            .store
            .audit_log(AUDIT_PAGE)
            .await?
            .into_iter()
            .map(|e| {
                json!({
                    "at": rfc3339(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "project": e.project,
                    "detail": serde_json::from_str::<Value>(&e.detail).unwrap_or(Value::Null),
                })
            })
            .collect();
        Ok(json!({ "entries": entries }))
    }
}

fn file_view(project: &FileProject) -> Value {
    let api_keys: Vec<Value> = (0..project.api_keys)
        .map(|i| json!({ "id": format!("config-{i}"), "prefix": null, "created": null, "lastUsed": null }))
        .collect();
    json!({
        "id": project.id,
        "name": project.id,
        "managedBy": "config",
        "verification": project.verification,
        "provider": project.provider,
        "hasSecret": project.has_secret,
        "apiKeys": api_keys,
        "updated": null,
        "problem": null,
    })
}

/// `body` as an object whose members are all in `allowed`.
fn object<'b>(body: &'b Value, allowed: &[&str]) -> Result<&'b Map<String, Value>, Problem> {
    let Value::Object(map) = body else {
        return Err(Problem::new(
            400,
            "invalid request",
            "the body is a JSON object",
        ));
    };
    if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Problem::invalid(
            unknown.clone(),
            format!("unknown member; expected {}", allowed.join(", ")),
        ));
    }
    Ok(map)
}

/// The member `name` of `body`: an object of settings, with nothing read from the server's
/// own environment or files (`*_env`, `*_file`), which an API caller must not reach.
fn section(body: &Map<String, Value>, name: &str) -> Result<Option<Value>, Problem> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(settings)) => {
            if let Some(local) = settings
                .keys()
                .find(|k| k.ends_with("_env") || k.ends_with("_file"))
            {
                return Err(Problem::invalid(
                    format!("{name}.{local}"),
                    "environment variables and files of the server are for the configuration file; give the value itself",
                ));
            }
            Ok(Some(Value::Object(settings.clone())))
        }
        Some(_) => Err(Problem::invalid(name, "an object of settings")),
    }
}

fn setting_names(settings: &Settings) -> Vec<String> {
    let names = |prefix: &str, v: &Option<Value>| -> Vec<String> {
        v.as_ref()
            .and_then(Value::as_object)
            .map(|m| m.keys().map(|k| format!("{prefix}.{k}")).collect())
            .unwrap_or_default()
    };
    let mut all = names("verification", &settings.verification);
    all.extend(names("provider", &settings.provider));
    all
}

/// `bytes` random bytes, in hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the system's random number generator");
    hex::encode(buffer)
}
