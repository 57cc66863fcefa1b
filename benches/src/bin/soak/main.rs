//! A soak of `tambo-auth serve` (issue 14): a bounded run of mixed traffic on 127.0.0.1
//! against a real server process, while the test identity provider slows down, fails, goes
//! away and rotates its keys. It fails (exit 1) unless, at the end:
//!
//! - no answer was a 5xx other than 503 `temporarily_unavailable` (with `Retry-After`) to an
//!   exchange while the identity provider was disturbed, and no request went unanswered;
//! - no forged, expired, foreign or unsigned token was accepted, and no user read another's
//!   thread;
//! - every write the server acknowledged reads back (threads, messages in order, the last
//!   rename, deletions);
//! - memory is flat: the median RSS of the server's last minute is within
//!   `--rss-growth-mib` (default 4 MiB) of its first minute after the warm-up. At the default
//!   load the two minutes are about 35 000 requests apart, so a leak of 120 bytes a request or
//!   more fails the run; the server's RSS is about 30 MiB, its token cache full.
//!
//! ```text
//! bash benches/soak.sh                                   # 5 minutes, release build
//! bash benches/soak.sh --duration 30m --rate 300
//! cargo run --release -p tambo-auth-benches --bin soak -- --server target/release/tambo-auth --duration 60s
//! ```
//!
//! Phases: (1) cold start: the identity provider is down before the server ever loaded its
//! keys, so exchanges answer 503 until it comes back; (2) priming: 10 500 distinct Tambo
//! tokens are used once each, so the server's verified-token cache (10 000 entries) is full
//! before memory is watched, and its filling is not taken for a leak; (3) the mixed traffic
//! for `--duration`, paced at `--rate` requests a second, with the fault schedule of
//! `faults.rs`; (4) the read-back of every acknowledged write.
//!
//! The summary prints counts, never a token, a secret or an API key.

#![forbid(unsafe_code)]

mod faults;
mod ledger;
mod memory;
mod tally;
mod timeline;
mod traffic;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Value;
use tambo_auth_testkit::{TestIdp, TestKey};

use faults::{Faults, Signer};
use ledger::{User, Verified};
use memory::Rss;
use timeline::Timeline;
use traffic::{AUDIENCE, Ctx, Rng};

/// Mixed traffic against `tambo-auth serve` with identity-provider faults; see the source's
/// module documentation for what is asserted.
#[derive(Parser)]
#[command(name = "soak")]
struct Args {
    /// How long the mixed traffic runs (after the cold start and the priming).
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// The start of the mixed traffic that the memory comparison skips.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Requests a second offered, all kinds together.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Concurrent clients; each owns its users and makes one request at a time.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Users per client.
    #[arg(long, default_value_t = 4)]
    users_per_client: usize,
    /// Distinct Tambo tokens used once each before the mixed traffic (the server's token
    /// cache holds 10 000).
    #[arg(long, default_value_t = 10_500)]
    prime: usize,
    /// The largest growth of the median RSS from the first minute after the warm-up to the
    /// last minute, in MiB.
    #[arg(long, default_value_t = 4.0)]
    rss_growth_mib: f64,
    /// The `tambo-auth` binary (default: the one beside this program).
    #[arg(long)]
    server: Option<PathBuf>,
    /// The server's `database_url` (default: an SQLite file in a temporary directory).
    #[arg(long)]
    database_url: Option<String>,
    /// Seed of the traffic mix.
    #[arg(long, default_value_t = 14)]
    seed: u64,
}

/// The soak's project and API key (a test value, never printed).
const PROJECT: &str = "p_soak";
const API_KEY: &str = "tambo_pk_soak_f6b1c8e2a4";
/// How long the identity provider is down before the server first needs it.
const COLD_START: Duration = Duration::from_secs(10);

/// The server process; killed when dropped.
struct ServerProcess {
    child: Child,
    base: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(
    binary: &std::path::Path,
    config: &std::path::Path,
    log: &std::path::Path,
) -> ServerProcess {
    let log = std::fs::File::create(log).expect("the server log file is created");
    let (child, base) = tambo_auth_testkit::process::serve(binary, config, "warn", log.into(), &[]);
    ServerProcess { child, base }
}

fn config_text(database_url: &str, issuer: &str) -> String {
    let digest = {
        use sha2::Digest as _;
        let hash = sha2::Sha256::digest(API_KEY.as_bytes());
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    // Rate limits stay on with budgets above the soak's load (one client address sends
    // everything), so the limiter's state is exercised and any 429 is counted apart.
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:8260\"\n\
         database_url = \"{database_url}\"\n\n\
         [rate_limits]\nper_client_per_minute = 1000000\nper_client_burst = 100000\n\
         per_subject_per_minute = 600\nper_project_per_minute = 1000000\n\
         per_project_burst = 100000\n\n\
         [[projects]]\nid = \"{PROJECT}\"\napi_keys = [\"sha256:{digest}\"]\n\
         [projects.verification]\nissuer = \"{issuer}\"\naudiences = [\"{AUDIENCE}\"]\n\
         allow_loopback_http = true\n"
    )
}

fn main() {
    let args = Args::parse();
    let binary = args.server.clone().unwrap_or_else(|| {
        let me = std::env::current_exe().expect("the program's path");
        me.with_file_name("tambo-auth")
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let ok = runtime.block_on(run(args, binary));
    std::process::exit(if ok { 0 } else { 1 });
}

async fn run(args: Args, binary: PathBuf) -> bool {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/soak.db", dir.path().display()));
    let signer = Signer::new(TestKey::p256("soak-0"));
    let idp = TestIdp::builder()
        .keys(vec![signer.current()])
        .start()
        .await;
    let issuer = idp.issuer();
    let mut faults = Faults::new(idp, signer.clone());
    let config = dir.path().join("tambo-auth.toml");
    std::fs::write(&config, config_text(&database_url, &issuer)).expect("config written");
    let log = dir.path().join("server.log");

    // (1) Cold start: the identity provider is down before the server first needs its keys.
    faults.stop();
    let server = start_server(&binary, &config, &log);
    let pid = server.child.id();
    let rss = Rss::sample_every_second(pid);
    let timeline = Timeline::new(started);
    let ctx = Arc::new(Ctx::new(
        server.base.clone(),
        issuer,
        API_KEY.to_owned(),
        signer,
        timeline,
    ));
    println!(
        "soak: tambo-auth serve (pid {pid}) on {}, {}, identity provider on 127.0.0.1:{}",
        server.base,
        if args.database_url.is_some() {
            "database from --database-url"
        } else {
            "SQLite"
        },
        faults.idp.port()
    );
    let cold = ctx.timeline.begin("identity provider down at start");
    faults.injected.push("identity provider down at start");
    let mut cold_user = User::new("soak-cold".into());
    let cold_until = Instant::now() + COLD_START;
    let mut cold_503 = 0;
    while Instant::now() < cold_until {
        if ctx
            .exchange("exchange (cold start)", &mut cold_user)
            .await
            .status
            == 503
        {
            cold_503 += 1;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    faults.heal().await;
    let back = Instant::now();
    let recovered = loop {
        let answer = ctx.exchange("exchange (cold start)", &mut cold_user).await;
        if answer.status == 200 {
            break Some(back.elapsed());
        }
        if back.elapsed() > Duration::from_secs(60) {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    ctx.timeline.end(cold);
    println!(
        "cold start: {cold_503} exchanges answered 503 while the provider was down; recovered {}",
        recovered.map_or("never (within 60 s)".to_owned(), |d| format!(
            "{:.1} s after it came back",
            d.as_secs_f64()
        ))
    );

    // (2) Priming: fill the verified-token cache.
    let prime_started = Instant::now();
    prime(&ctx, args.prime, args.clients).await;
    println!(
        "priming: {} distinct Tambo tokens used once each in {:.1} s",
        args.prime,
        prime_started.elapsed().as_secs_f64()
    );

    // (3) Mixed traffic with the fault schedule.
    let mixed_started = Instant::now();
    let before_mixed = ctx.tally.total();
    rss.mark_start();
    let deadline = mixed_started + args.duration;
    let period = Duration::from_secs_f64(args.clients as f64 / f64::from(args.rate.max(1)));
    let mut tasks = Vec::new();
    for client in 0..args.clients {
        let ctx = Arc::clone(&ctx);
        let users: Vec<User> = (0..args.users_per_client)
            .map(|u| User::new(format!("soak-user-{client}-{u}")))
            .collect();
        let mut rng = Rng(args.seed.wrapping_add(client as u64 * 0x1000_0001));
        tasks.push(tokio::spawn(async move {
            let mut users = users;
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while Instant::now() < deadline {
                tick.tick().await;
                let at = rng.below(users.len());
                ctx.step(&mut users[at], &mut rng).await;
            }
            users
        }));
    }
    faults.run(&ctx.timeline, deadline).await;
    let mut users = Vec::new();
    for task in tasks {
        users.extend(task.await.expect("a client task does not panic"));
    }
    let mixed = mixed_started.elapsed();
    let mixed_requests = ctx.tally.total() - before_mixed;
    let memory = rss.finish(args.warmup);

    // (4) Read back every acknowledged write.
    faults.heal().await;
    let verify_started = Instant::now();
    let verified = read_back(&ctx, &mut users).await;
    let verify_took = verify_started.elapsed();

    let cache_entries = cache_entries(&ctx).await;
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let leaked = log_holds_a_token(&log_text, &users);

    // The summary.
    let total = ctx.tally.total();
    println!();
    println!(
        "== soak summary: mixed traffic {:.1} s (warm-up {:.0} s), {} clients x {} users, offered {} req/s; whole run {:.1} s",
        mixed.as_secs_f64(),
        args.warmup.as_secs_f64(),
        args.clients,
        args.users_per_client,
        args.rate,
        started.elapsed().as_secs_f64()
    );
    println!(
        "requests: {total} in all; {mixed_requests} during the mixed traffic ({:.0} req/s)",
        mixed_requests as f64 / mixed.as_secs_f64()
    );
    print!("{}", ctx.tally.report());
    println!("faults injected ({}):", faults.injected.len());
    for line in ctx.timeline.report() {
        println!("  - {line}");
    }
    println!(
        "identity provider: {} JWKS and {} discovery requests received",
        faults.idp.jwks_requests(),
        faults.idp.discovery_requests()
    );
    println!(
        "writes: {} acknowledged, {} verified by read-back in {:.1} s, {} lost, {} unanswered (outcome unknown)",
        verified.acknowledged,
        verified.verified,
        verify_took.as_secs_f64(),
        verified.acknowledged - verified.verified.min(verified.acknowledged),
        verified.unanswered
    );
    for problem in verified.problems.iter().take(20) {
        println!("  - {problem}");
    }
    println!("{}", memory.report());
    let level = |name: &str| log_text.lines().filter(|l| l.contains(name)).count();
    println!(
        "server log: {} lines ({} WARN, {} ERROR), {}",
        log_text.lines().count(),
        level(" WARN "),
        level(" ERROR "),
        if leaked {
            "HOLDS A TOKEN"
        } else {
            "no token in it"
        }
    );
    if let Some(entries) = cache_entries {
        println!("verified-token cache at the end: {entries} entries");
    }

    // The verdict.
    let mut failures = Vec::new();
    let findings = ctx.tally.findings();
    if findings > 0 {
        failures.push(format!(
            "{findings} answers outside what their kind may get"
        ));
    }
    let (server_errors, expected) = ctx.tally.server_errors();
    if server_errors > expected {
        failures.push(format!(
            "{} answers of 500 or more beyond the {expected} expected 503s",
            server_errors - expected
        ));
    }
    if recovered.is_none() {
        failures.push("the exchange did not recover after the cold start".into());
    }
    if !verified.problems.is_empty() {
        failures.push(format!(
            "{} acknowledged writes did not read back",
            verified.problems.len()
        ));
    }
    match memory.growth_mib() {
        Some(growth) if growth > args.rss_growth_mib => failures.push(format!(
            "RSS grew {growth:.1} MiB from the first minute after warm-up to the last (bound {} MiB)",
            args.rss_growth_mib
        )),
        Some(_) => {}
        None => println!("memory: the run is too short to compare two windows after the warm-up"),
    }
    if leaked {
        failures.push("the server log holds a token".into());
    }
    if failures.is_empty() {
        println!(
            "== soak passed: no unexpected 5xx, nothing lost, RSS flat within {} MiB",
            args.rss_growth_mib
        );
        true
    } else {
        println!("== soak FAILED:");
        for failure in failures {
            println!("  - {failure}");
        }
        false
    }
}

/// Exchanges `count` tokens, for `count / 100` users (within the per-user rate limit), and
/// uses each once at `GET /v1/threads`.
async fn prime(ctx: &Arc<Ctx>, count: usize, workers: usize) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let ctx = Arc::clone(ctx);
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= count {
                    break;
                }
                let mut user = User::new(format!("soak-primer-{}", n % (count / 100).max(1)));
                if ctx.exchange("exchange (priming)", &mut user).await.status != 200 {
                    continue;
                }
                ctx.prime_read(&user).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
}

/// Reads back every user's threads and messages with a fresh token.
async fn read_back(ctx: &Arc<Ctx>, users: &mut [User]) -> Verified {
    let mut all = Verified::default();
    for user in users.iter_mut() {
        // The provider is healthy again; a key it rotated to may take up to its backoff.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if ctx.exchange("exchange (read-back)", user).await.status == 200 {
                break;
            }
            if Instant::now() > deadline {
                all.problems
                    .push(format!("{}: no token for the read-back", user.sub));
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let listed: BTreeSet<String> = ctx
            .read_all(user, "/v1/threads", "threads")
            .await
            .iter()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect();
        let mut read = HashMap::new();
        for thread in &user.threads {
            let path = format!("/v1/threads/{}/messages", thread.id);
            let texts = ctx
                .read_all(user, &path, "messages")
                .await
                .iter()
                .filter_map(|m| m["content"][0]["text"].as_str().map(str::to_owned))
                .collect();
            let name = ctx
                .read_one(user, &format!("/v1/threads/{}", thread.id))
                .await
                .and_then(|t: Value| t["name"].as_str().map(str::to_owned));
            read.insert(thread.id.clone(), (name, texts));
        }
        let mut deleted_found = Vec::new();
        for id in &user.deleted {
            if ctx
                .read_one(user, &format!("/v1/threads/{id}"))
                .await
                .is_some()
            {
                deleted_found.push(id.clone());
            }
        }
        all.add(ledger::compare(user, &listed, &read, &deleted_found));
    }
    all
}

/// `tambo_auth_token_cache_entries` from `/metrics` (the soak is a loopback peer).
async fn cache_entries(ctx: &Ctx) -> Option<u64> {
    let text = ctx
        .http
        .get(format!("{}/metrics", ctx.base))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find(|l| l.starts_with("tambo_auth_token_cache_entries"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64)
}

/// Whether the server's log holds any of the users' last Tambo tokens or their signatures.
fn log_holds_a_token(text: &str, users: &[User]) -> bool {
    users
        .iter()
        .filter_map(|u| u.token.as_ref())
        .any(|(token, _)| {
            let signature = token.rsplit('.').next().unwrap_or(token);
            text.contains(token.as_str()) || (signature.len() > 20 && text.contains(signature))
        })
}
