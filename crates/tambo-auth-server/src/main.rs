//! The `tambo-auth` binary: the reference server (`serve`) and token tools (`token verify`,
//! `token inspect`).
//!
//! Exit codes: 0 success, 1 the token was refused, 2 usage or configuration error.

#![forbid(unsafe_code)]

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use tambo_auth::provider::Presented;
use tambo_auth_server::admin::cli::{CliError, ProjectsCommand};
use tambo_auth_server::config::{AdminSettings, Config, ConfigError, build_registry};
use tambo_auth_server::inspect;
use tambo_auth_server::server::{ServeError, Server};
use tambo_auth_server::store::Store;

/// Tambo-style user authentication: verify identity-provider tokens.
// No `Debug`: `token verify` carries a token.
#[derive(Parser)]
#[command(name = "tambo-auth", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the reference server on 127.0.0.1 with a development identity provider, one
    /// project and an SQLite file, serve the client-side retrieval example beside it, and
    /// print a walkthrough.
    Dev {
        /// The API's port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8260)]
        port: u16,
        /// The port of the client-side retrieval page on 127.0.0.1, an origin of its own that
        /// the API allows (default: the API's port + 1; any free port when --port is 0).
        #[arg(long)]
        app_port: Option<u16>,
        /// Where the SQLite database lives.
        #[arg(long, default_value = ".tambo-auth")]
        data_dir: PathBuf,
    },
    /// Run the reference server: token exchange, JWKS, readiness and the /v1 thread API.
    Serve {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Work with subject tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the Tambo token signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage the projects kept in the database (the admin API's operations, for scripts):
    /// running servers follow within 2 s.
    #[command(subcommand)]
    Projects(ProjectsCommand),
    /// Revoke Tambo tokens in the server's database; running servers refuse them within 5 s.
    Revoke {
        /// The configuration file (its database is written).
        #[arg(long)]
        config: PathBuf,
        /// The project whose user is revoked (with `--user`).
        #[arg(long, required_unless_present = "token_id")]
        project: Option<String>,
        /// Every token of this user (context key, `oauth:user:…`) issued until now.
        #[arg(
            long,
            conflicts_with = "token_id",
            required_unless_present = "token_id"
        )]
        user: Option<String>,
        /// One token, by `jti`.
        #[arg(long)]
        token_id: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Print a new private signing key (PKCS#8 PEM) on standard output.
    Generate {
        /// `EdDSA` (default) or `ES256`.
        #[arg(long, default_value = "EdDSA")]
        algorithm: String,
    },
    /// Rotate the key ring in the server's database: a new key signs, the previous one keeps
    /// verifying until its last token expires. Running servers follow within 5 s.
    Rotate {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Remove a key from the key ring in the server's database at once (a compromised key):
    /// running servers refuse its tokens within 5 s, tokens of the other keys keep working.
    /// The active key cannot be removed: rotate first.
    Remove {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The key id (a token's header names it; `/.well-known/jwks.json` lists them). It may
        /// start with `-`, as base64url thumbprints can.
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Verify a subject token exactly as the exchange would; print the user as JSON.
    Verify {
        /// The configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The project whose verification settings apply (default: the only project).
        #[arg(long)]
        project: Option<String>,
        /// The token, or `-` to read it from standard input (keeps it out of shell history).
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
    /// Decode a token without trusting it and explain what it is and why it would fail.
    Inspect {
        /// The token, or `-` to read it from standard input.
        #[arg(allow_hyphen_values = true)]
        token: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Structured logs: fields on every event; `TAMBO_AUTH_LOG_FORMAT=json` for one JSON object
    // per line (log shippers). Tokens and secrets are never fields.
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TAMBO_AUTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        );
    if std::env::var("TAMBO_AUTH_LOG_FORMAT").as_deref() == Ok("json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let outcome = match cli.command {
        Command::Serve { config } => serve(&config),
        Command::Dev {
            port,
            app_port,
            data_dir,
        } => dev(port, app_port, &data_dir),
        Command::Keys(KeysCommand::Generate { algorithm }) => generate_key(&algorithm),
        Command::Projects(command) => projects(command),
        Command::Keys(KeysCommand::Rotate { config }) => with_store(&config, rotate),
        Command::Keys(KeysCommand::Remove { config, kid }) => {
            with_store(&config, move |store, _config| {
                Box::pin(async move {
                    tambo_auth_server::server::remove_key(&store, &kid)
                        .await
                        .map(|()| {
                            format!(
                                "removed {kid}: running servers refuse its tokens within {}s",
                                tambo_auth_server::server::REVOCATION_REFRESH.as_secs()
                            )
                        })
                        .map_err(|e| e.to_string())
                })
            })
        }
        Command::Revoke {
            config,
            project,
            user,
            token_id,
        } => with_store(&config, move |store, _config| {
            Box::pin(async move { revoke(store, project, user, token_id).await })
        }),
        Command::Token(TokenCommand::Verify {
            config,
            project,
            token,
        }) => verify(&config, project.as_deref(), &token),
        Command::Token(TokenCommand::Inspect { token }) => read_token(&token)
            .map(|token| {
                print!("{}", inspect::explain(&token, std::time::SystemTime::now()));
            })
            .map_err(Failure::from),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

/// Why a command failed; printed as `error: …` on standard error.
enum Failure {
    /// A usage or configuration error: exit code 2.
    Usage(String),
    /// The work failed, or the token was refused: exit code 1.
    Failed(String),
}

impl Failure {
    fn exit(self) -> ExitCode {
        let (message, code) = match self {
            Failure::Usage(message) => (message, 2),
            Failure::Failed(message) => (message, 1),
        };
        eprintln!("error: {message}");
        ExitCode::from(code)
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<ServeError> for Failure {
    fn from(e: ServeError) -> Self {
        match e {
            ServeError::Config(e) => e.into(),
            other => Failure::Failed(other.to_string()),
        }
    }
}

fn serve(config_path: &Path) -> Result<(), Failure> {
    let mut config = Config::load(config_path)?;
    config.admin = AdminSettings::from_env();
    block_on(true, async {
        let server = Server::build(&config).await?;
        let listener = tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .map_err(|e| {
                Failure::Failed(format!("cannot listen on {}: {e}", config.server.listen))
            })?;
        match listener.local_addr() {
            Ok(addr) => println!("tambo-auth listening on http://{addr}"),
            Err(e) => eprintln!("warning: local address unknown: {e}"),
        }
        server
            .serve(listener, shutdown_signal())
            .await
            .map_err(|e| Failure::Failed(e.to_string()))
    })
}

fn projects(command: ProjectsCommand) -> Result<(), Failure> {
    block_on(false, async {
        let read = |arg: &str| read_token(arg).map_err(|e| e.to_string());
        match tambo_auth_server::admin::cli::run(command, read).await {
            Ok(answer) => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&answer).unwrap_or_default()
                );
                Ok(())
            }
            Err(CliError::Setup(message)) => Err(Failure::Usage(message)),
            Err(CliError::Refused(problem)) => Err(Failure::Failed(
                serde_json::to_string_pretty(&problem.body()).unwrap_or_default(),
            )),
        }
    })
}

fn dev(port: u16, app_port: Option<u16>, data_dir: &Path) -> Result<(), Failure> {
    use tambo_auth_server::dev;

    block_on(true, async {
        let app_port = app_port.unwrap_or_else(|| dev::default_app_port(port));
        let dev = dev::start_on(port, app_port, data_dir).await?;
        println!("{}", dev::walkthrough(&dev));
        dev.serve(shutdown_signal())
            .await
            .map_err(|e| Failure::Failed(e.to_string()))
    })
}

fn generate_key(algorithm: &str) -> Result<(), Failure> {
    let key = match algorithm.parse::<tambo_auth::Algorithm>() {
        Ok(alg @ (tambo_auth::Algorithm::EdDSA | tambo_auth::Algorithm::ES256)) => {
            tambo_auth::token::SigningKey::generate(alg)
        }
        _ => return Err(Failure::Usage("--algorithm: EdDSA or ES256".into())),
    };
    let (kid, pem) = key
        .ok()
        .and_then(|k| k.to_pkcs8_pem().map(|pem| (k.kid().to_owned(), pem)))
        .ok_or_else(|| Failure::Failed("the key could not be generated".into()))?;
    eprintln!("kid {kid}");
    print!("{pem}");
    Ok(())
}

type StoreTask = std::pin::Pin<Box<dyn Future<Output = Result<String, String>>>>;

/// Loads the configuration, opens its database and runs `task`; prints its result.
fn with_store(
    config_path: &Path,
    task: impl FnOnce(Store, Config) -> StoreTask,
) -> Result<(), Failure> {
    let config = Config::load(config_path)?;
    block_on(false, async {
        let store = Store::connect(&config.server.database())
            .await
            .map_err(|e| Failure::Failed(format!("database: {e}")))?;
        let message = task(store, config).await.map_err(Failure::Failed)?;
        println!("{message}");
        Ok(())
    })
}

fn rotate(store: Store, config: Config) -> StoreTask {
    Box::pin(async move {
        let algorithm = match config.token.algorithm.as_deref() {
            None | Some("EdDSA") => tambo_auth::Algorithm::EdDSA,
            Some("ES256") => tambo_auth::Algorithm::ES256,
            Some(other) => return Err(format!("token.algorithm: {other:?} is not EdDSA or ES256")),
        };
        let ttl = match &config.token.ttl {
            Some(ttl) => {
                humantime::parse_duration(ttl).map_err(|_| format!("token.ttl: {ttl:?}"))?
            }
            None => std::time::Duration::from_secs(15 * 60),
        };
        let retire_after = ttl + std::time::Duration::from_secs(60);
        tambo_auth_server::server::rotate_keys(&store, algorithm, retire_after)
            .await
            .map(|kid| {
                format!(
                    "rotated: {kid} signs now; the previous key retires in {}s",
                    retire_after.as_secs()
                )
            })
            .map_err(|e| e.to_string())
    })
}

async fn revoke(
    store: Store,
    project: Option<String>,
    user: Option<String>,
    token_id: Option<String>,
) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    match (user, token_id) {
        (Some(user), None) => {
            let project = project.ok_or("--user needs --project")?;
            if !user.starts_with("oauth:user:") {
                return Err("--user takes a context key (oauth:user:…)".into());
            }
            store
                .revoke_user(&project, &user, now + 1)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "revoked every token of {user} in {project} issued until now"
            ))
        }
        (None, Some(jti)) => {
            // A Tambo token lives at most an hour: keep the revocation that long.
            store
                .revoke_token(&jti, now + 3600 + 60)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("revoked token {jti}"))
        }
        _ => Err("give --user or --token-id".into()),
    }
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests, exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// Runs `work` on a new tokio runtime (multi-threaded for servers).
fn block_on(
    multi_thread: bool,
    work: impl Future<Output = Result<(), Failure>>,
) -> Result<(), Failure> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = builder
        .enable_all()
        .build()
        .map_err(|e| Failure::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(work)
}

fn read_token(arg: &str) -> Result<String, ConfigError> {
    if arg != "-" {
        return Ok(arg.trim().to_owned());
    }
    let mut text = String::new();
    std::io::stdin()
        .take(1024 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| ConfigError {
            field: "TOKEN".into(),
            reason: format!("cannot read standard input: {e}"),
        })?;
    Ok(text.trim().to_owned())
}

fn verify(config_path: &Path, project: Option<&str>, token: &str) -> Result<(), Failure> {
    let token = read_token(token)?;
    // The verifier's key set spawns its fetches, so it is built inside the runtime.
    block_on(false, async {
        let config = Config::load(config_path)?;
        let (index, project) = config.project(project)?;
        let registry = build_registry(project, index, config.profile())?;
        // The path the token takes (a migration window has two).
        let path = match registry.parse(&token) {
            Ok(Presented::Jws(jws)) => registry.route(&jws).ok().cloned(),
            Ok(Presented::Opaque(provider)) => Some(Arc::clone(provider)),
            Err(_) => None,
        };
        match registry.authenticate(&token).await {
            Ok(user) => {
                let mut out = serde_json::to_value(&user).unwrap_or_default();
                if let Some(map) = out.as_object_mut() {
                    map.insert("project".into(), project.id.clone().into());
                    if let Some(path) = path {
                        let strategy = path.verifier().strategy().as_str();
                        map.insert("strategy".into(), strategy.into());
                    }
                }
                println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
                Ok(())
            }
            Err(e) => {
                let mut message = format!("{}\n{e}", e.kind().code());
                if let Some(hint) = inspect::hint(&e) {
                    message.push_str(&format!("\nhint: {hint}"));
                }
                Err(Failure::Failed(message))
            }
        }
    })
}
