//! The API-managed projects a replica serves, kept in step with the database: every
//! [`PROJECTS_REFRESH`] (and at once after a change made on this replica) the stored projects
//! and API keys are read again, and a project whose settings changed gets a verifier rebuilt
//! from them. A stored setting that no longer builds never takes its project down: the last
//! good verifier keeps serving, and `/readyz` names the problem.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use async_trait::async_trait;
use sha2::{Digest as _, Sha256};
use tambo_auth::exchange::{Project, ProjectResolver, StaticProjects};
use tambo_auth::{Error, Profile, ProviderRegistry};

use super::{SecretKey, Settings};
use crate::store::{Store, StoreError, StoredProject, unix_now};

/// How often each replica reads the stored projects and keys again: a change made anywhere
/// (another replica, the CLI) is served everywhere within this.
pub const PROJECTS_REFRESH: Duration = Duration::from_secs(2);

/// The problem of a project whose verification was never set.
const NOT_CONFIGURED: &str = "no verification settings yet";

/// How often an API key's `last used` time is written, at most, per replica.
const TOUCH_EVERY: i64 = 60;

/// The API-managed projects, as this replica serves them.
pub struct LiveProjects {
    store: Store,
    profile: Profile,
    secrets: Option<Arc<SecretKey>>,
    served: ArcSwap<Served>,
    /// What each project was last built from; held across a refresh, so refreshes take turns.
    built: tokio::sync::Mutex<HashMap<String, Built>>,
    /// When this replica last wrote each key's `last used` time.
    touched: Mutex<HashMap<String, i64>>,
}

impl std::fmt::Debug for LiveProjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let served = self.served.load();
        f.debug_struct("LiveProjects")
            .field("projects", &served.projects.len())
            .field("api_keys", &served.by_digest.len())
            .finish_non_exhaustive()
    }
}

/// One refresh's result, read by every exchange.
#[derive(Default)]
struct Served {
    /// API key digest → (key id, project).
    by_digest: HashMap<[u8; 32], (String, Arc<Project>)>,
    /// Every stored project: what serves it (none when it never built) and its problem.
    projects: HashMap<String, (Option<Arc<Project>>, Option<String>)>,
}

struct Built {
    settings: String,
    secrets: Option<String>,
    project: Option<Arc<Project>>,
    problem: Option<String>,
}

impl LiveProjects {
    /// Nothing served until the first [`refresh`](Self::refresh).
    pub fn new(store: Store, profile: Profile, secrets: Option<Arc<SecretKey>>) -> LiveProjects {
        LiveProjects {
            store,
            profile,
            secrets,
            served: ArcSwap::from_pointee(Served::default()),
            built: tokio::sync::Mutex::new(HashMap::new()),
            touched: Mutex::new(HashMap::new()),
        }
    }

    /// Reads the stored projects and API keys, rebuilds the verifiers of changed projects,
    /// and serves the result.
    ///
    /// # Errors
    ///
    /// When the database cannot be read; what was served keeps serving.
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let stored = self.store.projects().await?;
        let keys = self.store.api_keys().await?;
        let mut built = self.built.lock().await;
        let mut next = HashMap::with_capacity(stored.len());
        for project in stored {
            let entry = match built.remove(&project.id) {
                Some(same)
                    if same.settings == project.settings && same.secrets == project.secrets =>
                {
                    same
                }
                previous => self.build(&project, previous),
            };
            next.insert(project.id, entry);
        }
        *built = next;
        let mut by_digest = HashMap::with_capacity(keys.len());
        for key in keys {
            let project = built.get(&key.project).and_then(|b| b.project.clone());
            if let (Some(project), Some(digest)) = (project, stored_digest(&key.digest)) {
                by_digest.insert(digest, (key.id, project));
            }
        }
        let projects = built
            .iter()
            .map(|(id, b)| (id.clone(), (b.project.clone(), b.problem.clone())))
            .collect();
        self.served.store(Arc::new(Served {
            by_digest,
            projects,
        }));
        Ok(())
    }

    fn build(&self, stored: &StoredProject, previous: Option<Built>) -> Built {
        let result = Settings::from_stored(stored, self.secrets.as_deref())
            .and_then(|settings| settings.registry(self.profile).map_err(|e| e.to_string()));
        let (project, problem) = match result {
            Ok(registry) => (
                Some(Arc::new(Project::new(stored.id.clone(), registry))),
                None,
            ),
            // A new project: nothing to serve yet, nothing gone wrong.
            Err(_) if stored.settings == "{}" => (None, Some(NOT_CONFIGURED.to_owned())),
            Err(problem) => {
                tracing::warn!(
                    project = %stored.id,
                    %problem,
                    "the stored settings do not build; the last good ones keep serving"
                );
                (previous.and_then(|p| p.project), Some(problem))
            }
        };
        Built {
            settings: stored.settings.clone(),
            secrets: stored.secrets.clone(),
            project,
            problem,
        }
    }

    /// The project of `api_key`, recording its use in the background (at most once a minute
    /// per replica).
    fn resolve(&self, api_key: &str) -> Result<Arc<Project>, Error> {
        let digest: [u8; 32] = Sha256::digest(api_key.as_bytes()).into();
        let Some((key_id, project)) = self.served.load().by_digest.get(&digest).cloned() else {
            return Err(Error::InvalidClient {
                reason: "unknown API key",
            });
        };
        let now = unix_now();
        let due = {
            let mut touched = self.touched.lock().unwrap_or_else(|e| e.into_inner());
            let last = touched.entry(key_id.clone()).or_insert(i64::MIN);
            let due = now.saturating_sub(*last) >= TOUCH_EVERY;
            if due {
                *last = now;
            }
            due
        };
        if due {
            // Written beside the exchange, never before it: a slow or unavailable database
            // must not delay or fail an exchange.
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(error) = store.touch_api_key(&key_id, now).await {
                    tracing::warn!(%error, "recording an API key's use failed");
                }
            });
        }
        Ok(project)
    }

    /// The served project `id` (none when its settings never built).
    pub fn project(&self, id: &str) -> Option<Arc<Project>> {
        self.served
            .load()
            .projects
            .get(id)
            .and_then(|(p, _)| p.clone())
    }

    /// The registries of every served project, for readiness and metrics.
    pub fn registries(&self) -> Vec<ProviderRegistry> {
        self.served
            .load()
            .projects
            .values()
            .filter_map(|(p, _)| p.as_ref().map(|p| p.registry().clone()))
            .collect()
    }

    /// `(project, problem)` for every project whose stored settings do not build.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems: Vec<_> = self
            .served
            .load()
            .projects
            .iter()
            .filter_map(|(id, (_, problem))| problem.clone().map(|p| (id.clone(), p)))
            .collect();
        problems.sort();
        problems
    }

    /// The problem of project `id`, if its stored settings do not build.
    pub fn problem(&self, id: &str) -> Option<String> {
        self.served
            .load()
            .projects
            .get(id)
            .and_then(|(_, p)| p.clone())
    }
}

/// A stored key digest (64 hex digits) as bytes.
fn stored_digest(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// The server's projects: those of the configuration file first, then the API-managed ones.
#[derive(Debug, Clone)]
pub struct ServerProjects {
    file: StaticProjects,
    live: Arc<LiveProjects>,
}

impl ServerProjects {
    /// The file's projects, then the live ones.
    pub fn new(file: StaticProjects, live: Arc<LiveProjects>) -> ServerProjects {
        ServerProjects { file, live }
    }
}

#[async_trait]
impl ProjectResolver for ServerProjects {
    async fn resolve(&self, api_key: &str) -> Result<Arc<Project>, Error> {
        match self.file.resolve(api_key).await {
            Err(Error::InvalidClient { .. }) => self.live.resolve(api_key),
            result => result,
        }
    }
}
