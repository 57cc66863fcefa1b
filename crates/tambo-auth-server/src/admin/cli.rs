//! `tambo-auth projects …`: the admin API's operations for scripts, on the database of a
//! configuration file. Every command prints JSON on standard output; a refusal prints the
//! problem (with the `field` at fault) on standard error. Running servers follow within
//! [`PROJECTS_REFRESH`](super::PROJECTS_REFRESH).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use serde_json::{Value, json};

use super::{Admin, AdminParts, FileProject, LiveProjects, Problem, SecretKey};
use crate::config::{Config, ConfigError, build_registry};
use crate::store::Store;

/// The subcommands of `tambo-auth projects`.
#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List every project: the configuration file's (read-only) and the stored ones.
    List {
        /// The configuration file (its database is read).
        #[arg(long)]
        config: PathBuf,
    },
    /// Create a project (its verification comes next, with `set-verification`).
    Create {
        /// The configuration file (its database is written).
        #[arg(long)]
        config: PathBuf,
        /// A name for people.
        #[arg(long)]
        name: String,
        /// The project id (default: a generated `p_…`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Validate and store a project's verification settings: JSON `{"verification": {…},
    /// "provider": {…}}` with the names of the configuration file, or `-` to read it from
    /// standard input (keeps a secret out of shell history).
    SetVerification {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The project id.
        project: String,
        /// The settings as JSON, or `-`.
        settings: String,
    },
    /// What the exchange would make of a token for this project now; nothing is issued.
    Test {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The project id.
        project: String,
        /// The token, or `-` to read it from standard input.
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
    /// Create an API key; it is printed this once and stored as a digest.
    AddKey {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The project id.
        project: String,
    },
    /// Delete an API key: running servers refuse it within seconds.
    RemoveKey {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The project id.
        project: String,
        /// The key id (`key_…`, from `list`).
        key_id: String,
    },
    /// The audit trail, newest first.
    Audit {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Seal every stored secret with the current `TAMBO_AUTH_SECRET_KEY` (run during a
    /// rotation, with the old key in `TAMBO_AUTH_SECRET_KEY_PREVIOUS`).
    Reencrypt {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// The configuration, the environment or the database: nothing was done.
    Setup(String),
    /// The admin operation refused: the problem as JSON.
    Refused(Problem),
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> CliError {
        CliError::Setup(error.to_string())
    }
}

impl ProjectsCommand {
    fn config(&self) -> &PathBuf {
        match self {
            ProjectsCommand::List { config }
            | ProjectsCommand::Create { config, .. }
            | ProjectsCommand::SetVerification { config, .. }
            | ProjectsCommand::Test { config, .. }
            | ProjectsCommand::AddKey { config, .. }
            | ProjectsCommand::RemoveKey { config, .. }
            | ProjectsCommand::Audit { config }
            | ProjectsCommand::Reencrypt { config } => config,
        }
    }
}

/// Runs `command`; `read` reads a `-` argument from standard input. Returns the JSON to print.
///
/// # Errors
///
/// [`CliError`].
pub async fn run(
    command: ProjectsCommand,
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<Value, CliError> {
    let mut config = Config::load(command.config())?;
    config.admin = crate::config::AdminSettings::from_env();
    // Only trying a token needs the file's projects built, which reads their secrets.
    let tries_tokens = matches!(command, ProjectsCommand::Test { .. });
    let admin = admin(&config, tries_tokens).await?;
    let refused = CliError::Refused;
    match command {
        ProjectsCommand::List { .. } => admin.list_projects().await.map_err(refused),
        ProjectsCommand::Create { name, id, .. } => admin
            .create_project(&json!({ "name": name, "id": id }))
            .await
            .map_err(refused),
        ProjectsCommand::SetVerification {
            project, settings, ..
        } => {
            let text = read(&settings).map_err(CliError::Setup)?;
            let body: Value = serde_json::from_str(&text)
                .map_err(|e| CliError::Setup(format!("the settings are not JSON: {e}")))?;
            admin
                .set_verification(&project, &body)
                .await
                .map_err(refused)
        }
        ProjectsCommand::Test { project, token, .. } => {
            let token = read(&token).map_err(CliError::Setup)?;
            admin
                .test_token(&project, &json!({ "token": token }))
                .await
                .map_err(refused)
        }
        ProjectsCommand::AddKey { project, .. } => {
            admin.create_api_key(&project).await.map_err(refused)
        }
        ProjectsCommand::RemoveKey {
            project, key_id, ..
        } => admin
            .delete_api_key(&project, &key_id)
            .await
            .map(|()| json!({ "deleted": key_id }))
            .map_err(refused),
        ProjectsCommand::Audit { .. } => admin.audit_log().await.map_err(refused),
        ProjectsCommand::Reencrypt { .. } => admin.reencrypt().await.map_err(refused),
    }
}

async fn admin(config: &Config, build_file_projects: bool) -> Result<Admin, CliError> {
    let store = Store::connect(&config.server.database())
        .await
        .map_err(|e| CliError::Setup(format!("database: {e}")))?;
    let profile = config.profile();
    let keys = SecretKey::from_settings(&config.admin)?.map(Arc::new);
    let mut file = Vec::new();
    for (index, project) in config.projects.iter().enumerate() {
        let registry = if build_file_projects {
            Some(build_registry(project, index, profile)?)
        } else {
            None
        };
        file.push(FileProject::new(project, registry));
    }
    let live = Arc::new(LiveProjects::new(store.clone(), profile, keys.clone()));
    live.refresh()
        .await
        .map_err(|e| CliError::Setup(format!("database: {e}")))?;
    Ok(Admin::new(AdminParts {
        store,
        profile,
        keys,
        file,
        live,
        actor: "cli",
    }))
}
