//! The pages of `tambo-auth dev` in headless Chromium, driven over WebDriver (Debian's
//! `chromium-driver`, through `fantoccini`): the client-side retrieval page and the settings
//! page. The dev server runs in process on 127.0.0.1, the retrieval page on a port of its own,
//! so every call it makes is cross-origin and CORS is exercised for real.
//!
//! - Two browsers, two users: each sees only their own threads; user text stays text; signing
//!   out forgets the user, and nothing is ever stored in the browser.
//! - A token that reaches its refresh point (80 % of its life, on the page's clock, which the
//!   test moves forward instead of waiting) is exchanged again, with a fresh ID token, before
//!   any request needs it; a page whose timer never fired (a sleeping laptop) exchanges before
//!   sending. No `/v1` request fails, as the page counts and as the server's metrics count.
//! - A token the API refuses (its signing key removed) is exchanged again and the request
//!   retried once.
//! - The settings page, opened with the admin token: a project created there with the
//!   development identity provider's template and an API key shown there exchanges a token;
//!   trying a token shows the user or the refusal; a setting that does not build is shown next
//!   to its field, and the stored settings stay as they were.
//!
//! It needs Chromium and chromedriver (`CHROMIUM` and `CHROMEDRIVER`, or `chromium` and
//! `chromedriver` on `PATH`; `.ci/run` installs Debian's). Without them the tests print why and
//! pass, except under `CI`, where they fail.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tambo_auth_server::dev;

/// How long a condition may take to become true (Chromium on a busy two-core machine).
const WAIT: Duration = Duration::from_secs(60);
/// How often a condition is checked meanwhile.
const POLL: Duration = Duration::from_millis(50);
/// The life of a `tambo-auth dev` token: `[token] ttl`'s default, shorter than the ID token's.
const TOKEN_LIFE_MS: i64 = 15 * 60 * 1000;

// ---------------------------------------------------------------------------------------------
// Chromium and chromedriver

/// An executable named by the environment variable `var`, else the first of `names` on `PATH`.
fn executable(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium and chromedriver, or `None` (the test skipped, with the reason printed) when
/// either is missing; under `CI`, a missing one fails the test instead.
fn tools() -> Option<(PathBuf, PathBuf)> {
    let chromium = executable("CHROMIUM", &["chromium", "chromium-browser"]);
    let driver = executable("CHROMEDRIVER", &["chromedriver"]);
    if let (Some(chromium), Some(driver)) = (chromium.clone(), driver.clone()) {
        return Some((chromium, driver));
    }
    let missing = [
        ("chromium", chromium.is_none()),
        ("chromedriver", driver.is_none()),
    ]
    .iter()
    .filter(|(_, missing)| *missing)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>()
    .join(" and ");
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {missing} cannot be found: the browser test would check nothing \
         (apt-get install chromium chromium-driver, as .ci/run does)"
    );
    println!(
        "skipped: {missing} not found (apt-get install chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER)"
    );
    None
}

/// A chromedriver on 127.0.0.1; killed when dropped.
struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits for the line saying it listens.
    fn start(chromium: PathBuf, driver: &Path) -> Driver {
        for _ in 0..5 {
            // A port free a moment ago; if another process takes it first, chromedriver
            // exits and the next try picks another.
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new(driver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("chromedriver starts");
            let stdout = BufReader::new(child.stdout.take().expect("stdout"));
            let (ready, started) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut ready = Some(ready);
                // Read to the end, so that chromedriver never blocks on a full pipe.
                for line in stdout.lines().map_while(Result::ok) {
                    if line.contains("started successfully")
                        && let Some(ready) = ready.take()
                    {
                        let _ = ready.send(());
                    }
                }
            });
            if started.recv_timeout(WAIT).is_ok() {
                return Driver {
                    child,
                    url: format!("http://127.0.0.1:{port}"),
                    chromium,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("chromedriver did not start");
    }

    /// A new headless Chromium session on `page`. Chromium resolves no host name (every peer
    /// is 127.0.0.1) and makes no background requests of its own.
    async fn open(&self, page: &str) -> Client {
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": [
                    "--headless=new",
                    // Root (CI) cannot use Chromium's sandbox; the page is our own.
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-default-apps",
                    "--disable-extensions",
                    "--disable-sync",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    "--window-size=1024,900",
                ],
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("an object literal")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        client.goto(page).await.expect("the page loads");
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The dev server

/// `tambo-auth dev` in process, serving until the test ends.
struct DevServer {
    api: String,
    page: String,
    admin_token: String,
    server: tambo_auth_server::server::Server,
    data: tempfile::TempDir,
}

async fn dev_server() -> DevServer {
    let data = tempfile::tempdir().expect("temp dir");
    let dev = dev::start(0, data.path()).await.expect("dev server");
    let api = format!("http://{}", dev.addr);
    let page = format!("http://{}/", dev.app_addr);
    let admin_token = dev.admin_token.expose().to_owned();
    let server = dev.server.clone();
    tokio::spawn(dev.serve(std::future::pending()));
    DevServer {
        api,
        page,
        admin_token,
        server,
        data,
    }
}

impl DevServer {
    /// `/v1` answers by status and exchanges by status, from the server's `/metrics`.
    async fn counted(&self) -> (Vec<(u16, u64)>, Vec<(u16, u64)>) {
        let text = reqwest::get(format!("{}/metrics", self.api))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        let series = |name: &str| {
            text.lines()
                .filter_map(|line| line.strip_prefix(&format!("{name}{{status=\"")))
                .filter_map(|rest| {
                    let (status, rest) = rest.split_once("\"}")?;
                    Some((status.parse().ok()?, rest.trim().parse().ok()?))
                })
                .collect::<Vec<(u16, u64)>>()
        };
        (
            series("tambo_auth_api_requests_total"),
            series("tambo_auth_exchanges_total"),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// The page, as a person uses it

/// Waits until `css` matches an element.
async fn wait_for(browser: &Client, css: &str) -> Element {
    browser
        .wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// Waits until the element `id` holds exactly `text`.
async fn wait_for_text(browser: &Client, id: &str, text: &str) -> Element {
    let xpath = format!("//*[@id='{id}' and normalize-space(.)={}]", literal(text));
    browser
        .wait()
        .at_most(WAIT)
        .every(POLL)
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|e| panic!("#{id} holding {text:?}: {e}"))
}

/// `text` as an XPath string literal (XPath has no escapes: `concat` when it holds both quotes).
fn literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

async fn type_into(browser: &Client, css: &str, text: &str) {
    let input = browser.find(Locator::Css(css)).await.expect(css);
    input.clear().await.expect("cleared");
    input.send_keys(text).await.expect("typed");
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("clicked");
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
}

/// Signs in as `user`; returns the auth state shown once identified.
async fn sign_in(browser: &Client, user: &str) -> String {
    type_into(browser, "#user", user).await;
    click(browser, "#sign-in button").await;
    let state = wait_for(browser, "#auth-state[data-state='identified']").await;
    wait_for(browser, "#workspace:not([hidden])").await;
    let text = state.text().await.expect("state");
    assert!(
        text.starts_with(&format!("Identified as {user} until ")),
        "{text}"
    );
    text
}

/// Creates a thread named `name` and waits until it is shown, opened.
async fn create_thread(browser: &Client, name: &str) {
    type_into(browser, "#thread-name", name).await;
    click(browser, "#new-thread button").await;
    wait_for_text(browser, "thread-title", name).await;
}

/// Sends `text` in the open thread and waits until the thread shows `count` messages.
async fn send_message(browser: &Client, text: &str, count: usize) {
    type_into(browser, "#message-text", text).await;
    click(browser, "#new-message button").await;
    wait_for(browser, &format!("#messages[data-count='{count}']")).await;
}

/// The names of the threads listed.
async fn thread_names(browser: &Client) -> Vec<String> {
    let mut names = Vec::new();
    for item in browser
        .find_all(Locator::Css("#threads li button"))
        .await
        .expect("threads")
    {
        names.push(item.text().await.expect("name"));
    }
    names
}

/// The page's counters: exchanges, API requests, refused (401) and failed requests.
async fn stats(browser: &Client) -> Value {
    browser
        .execute("return tamboApp.stats();", vec![])
        .await
        .expect("stats")
}

/// How many times the page asked the identity provider for an ID token (the browser's own
/// record of the requests it made).
async fn id_tokens_fetched(browser: &Client) -> u64 {
    browser
        .execute(
            "return performance.getEntriesByType('resource')\
                .filter((e) => e.name.includes('/dev/idp/token')).length;",
            vec![],
        )
        .await
        .expect("resource timing")
        .as_u64()
        .expect("a count")
}

/// Replaces the page's clock with one the test moves: `testClock.advance(ms)` runs what falls
/// due, `testClock.jump(ms)` runs nothing (a laptop waking up: timers that should have fired
/// did not), `testClock.due()` is the delay until the next scheduled task.
async fn install_test_clock(browser: &Client) {
    browser
        .execute(
            r#"
            const clock = {
              t: Date.now(),
              next: 1,
              timers: new Map(),
              now() { return this.t; },
              schedule(task, delayMs) {
                const id = this.next++;
                this.timers.set(id, { at: this.t + delayMs, task });
                return id;
              },
              cancel(id) { this.timers.delete(id); },
              advance(ms) {
                this.t += ms;
                const due = [...this.timers].filter(([, t]) => t.at <= this.t)
                  .sort(([, a], [, b]) => a.at - b.at);
                for (const [id, timer] of due) {
                  this.timers.delete(id);
                  timer.task();
                }
              },
              jump(ms) { this.t += ms; },
              due() {
                const ats = [...this.timers.values()].map((t) => t.at - this.t);
                return ats.length === 0 ? null : Math.min(...ats);
              },
            };
            window.testClock = clock;
            tamboApp.setClock(clock);
            "#,
            vec![],
        )
        .await
        .expect("the clock replaced");
}

async fn clock(browser: &Client, script: &str) -> Value {
    browser
        .execute(&format!("return testClock.{script};"), vec![])
        .await
        .expect(script)
}

/// Runs `body` with `browsers`, then closes them (ending their Chromium) whether it passed or
/// panicked.
async fn with_browsers<F, Fut>(browsers: Vec<Client>, body: F)
where
    F: FnOnce(Vec<Client>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let outcome = tokio::spawn(body(browsers.clone())).await;
    for browser in browsers {
        let _ = browser.close().await;
    }
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

// ---------------------------------------------------------------------------------------------
// The tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_in_two_browsers_each_see_only_their_own_threads() {
    let Some((chromium, driver)) = tools() else {
        return;
    };
    let driver = Driver::start(chromium, &driver);
    let server = dev_server().await;
    let alice = driver.open(&server.page).await;
    let bob = driver.open(&server.page).await;

    with_browsers(vec![alice, bob], |browsers| async move {
        let (alice, bob) = (&browsers[0], &browsers[1]);
        for browser in [alice, bob] {
            wait_for(browser, "#auth-state[data-state='unauthenticated']").await;
        }
        sign_in(alice, "alice").await;
        sign_in(bob, "bob").await;
        wait_for(alice, "#threads[data-count='0']").await;

        create_thread(alice, "alice's groceries").await;
        send_message(alice, "milk, eggs", 1).await;
        // User text is text: markup in a name is shown, never parsed.
        let markup = "<img src=x onerror=window.injected=1><b>plans</b>";
        create_thread(alice, markup).await;
        create_thread(bob, "bob's chores").await;
        send_message(bob, "the garden", 1).await;

        wait_for(alice, "#threads[data-count='2']").await;
        assert_eq!(
            thread_names(alice).await,
            [markup, "alice's groceries"],
            "newest first"
        );
        assert!(
            alice
                .find_all(Locator::Css("#threads img, #threads b, #thread-title b"))
                .await
                .expect("query")
                .is_empty()
        );
        assert_eq!(
            alice
                .execute("return window.injected === undefined;", vec![])
                .await
                .expect("checked"),
            json!(true)
        );
        wait_for(bob, "#threads[data-count='1']").await;
        assert_eq!(thread_names(bob).await, ["bob's chores"]);

        // alice's first thread and its message, reopened.
        click(alice, "#threads li:last-child button").await;
        wait_for_text(alice, "thread-title", "alice's groceries").await;
        wait_for(alice, "#messages[data-count='1']").await;
        assert_eq!(text_of(alice, "#messages li .text").await, "milk, eggs");

        // Signing out forgets the user; signing in as bob in alice's browser shows bob's
        // threads only.
        click(alice, "#sign-out").await;
        wait_for(alice, "#auth-state[data-state='unauthenticated']").await;
        wait_for(alice, "#workspace[hidden]").await;
        assert!(thread_names(alice).await.is_empty());
        sign_in(alice, "bob").await;
        wait_for(alice, "#threads[data-count='1']").await;
        assert_eq!(thread_names(alice).await, ["bob's chores"]);

        for browser in [alice, bob] {
            // Nothing stored in the browser, no token in the document.
            let stored = browser
                .execute(
                    "return [localStorage.length, sessionStorage.length, document.cookie, \
                        document.documentElement.outerHTML.includes('eyJ')];",
                    vec![],
                )
                .await
                .expect("storage");
            assert_eq!(stored, json!([0, 0, "", false]));
            let stats = stats(browser).await;
            assert_eq!(
                (&stats["refused"], &stats["failed"]),
                (&json!(0), &json!(0))
            );
        }
    })
    .await;
    let (api, _) = server.counted().await;
    assert!(
        api.iter().all(|(status, _)| (200..300).contains(status)),
        "every /v1 request succeeded: {api:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_at_its_refresh_point_is_exchanged_again_without_a_failed_request() {
    let Some((chromium, driver)) = tools() else {
        return;
    };
    let driver = Driver::start(chromium, &driver);
    let server = dev_server().await;
    let carol = driver.open(&server.page).await;

    with_browsers(vec![carol], |browsers| async move {
        let carol = &browsers[0];
        wait_for(carol, "#auth-state[data-state='unauthenticated']").await;
        install_test_clock(carol).await;
        let first = sign_in(carol, "carol").await;
        create_thread(carol, "errands").await;
        wait_for_text(carol, "exchange-count", "1").await;

        // The refresh is due at 80 % of the token's life; just before, nothing happens.
        let refresh_at = TOKEN_LIFE_MS * 8 / 10;
        assert_eq!(clock(carol, "due()").await, json!(refresh_at));
        clock(carol, &format!("advance({})", refresh_at - 1)).await;
        assert_eq!(clock(carol, "due()").await, json!(1));
        assert_eq!(
            text_of(carol, "#auth-state").await,
            first,
            "still the first token"
        );

        // At the refresh point: a fresh ID token and a new exchange, with no request waiting.
        clock(carol, "advance(1)").await;
        wait_for_text(carol, "exchange-count", "2").await;
        let second = wait_for(carol, "#auth-state[data-state='identified']")
            .await
            .text()
            .await
            .expect("state");
        assert_ne!(second, first, "a later expiry");
        assert_eq!(clock(carol, "due()").await, json!(refresh_at));
        send_message(carol, "after the refresh", 1).await;

        // The timer never fired (the laptop slept past the token's whole life): the page
        // exchanges before it sends, not after a refusal.
        clock(carol, &format!("jump({})", TOKEN_LIFE_MS + 60_000)).await;
        send_message(carol, "after a sleep", 2).await;
        wait_for_text(carol, "exchange-count", "3").await;
        let order = carol
            .execute(
                "const entries = performance.getEntriesByType('resource');\
                 const last = (part) => entries.filter((e) => e.name.includes(part)).at(-1);\
                 return last('/oauth/token').responseEnd <= last('/messages').startTime;",
                vec![],
            )
            .await
            .expect("resource timing");
        assert_eq!(
            order,
            json!(true),
            "the exchange ended before the message was sent"
        );

        assert_eq!(
            id_tokens_fetched(carol).await,
            3,
            "a fresh ID token each time"
        );
        let stats = stats(carol).await;
        assert_eq!(stats["exchanges"], 3, "{stats}");
        assert_eq!(stats["refused"], 0, "{stats}");
        assert_eq!(stats["failed"], 0, "{stats}");
        assert_eq!(text_of(carol, "#failed-count").await, "0");
    })
    .await;
    let (api, exchanges) = server.counted().await;
    assert!(
        api.iter().all(|(status, _)| (200..300).contains(status)),
        "no /v1 request failed: {api:?}"
    );
    assert_eq!(exchanges, [(200, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_exchanged_again_and_the_request_sent_once_more() {
    use tambo_auth_server::server::{remove_key, rotate_keys};
    use tambo_auth_server::store::Store;

    let Some((chromium, driver)) = tools() else {
        return;
    };
    let driver = Driver::start(chromium, &driver);
    let server = dev_server().await;
    let dave = driver.open(&server.page).await;
    let store = Store::connect(&format!(
        "sqlite://{}",
        server.data.path().join("dev.db").display()
    ))
    .await
    .expect("the dev database");
    let reference = server.server.clone();

    with_browsers(vec![dave], |browsers| async move {
        let dave = &browsers[0];
        sign_in(dave, "dave").await;
        create_thread(dave, "kept").await;

        // The key that signed dave's token is removed (a compromised key): the API refuses
        // the token the page holds, which the page still thinks good.
        let old = store.signing_keys().await.expect("keys");
        let old = old.iter().find(|k| k.active).expect("an active key");
        rotate_keys(
            &store,
            tambo_auth::Algorithm::EdDSA,
            Duration::from_secs(60),
        )
        .await
        .expect("rotated");
        remove_key(&store, &old.kid).await.expect("removed");
        reference.refresh_keys().await.expect("followed");

        send_message(dave, "still here", 1).await;
        wait_for_text(dave, "exchange-count", "2").await;
        wait_for_text(dave, "refused-count", "1").await;
        let stats = stats(dave).await;
        assert_eq!(stats["failed"], 0, "{stats}");
        wait_for(dave, "#auth-state[data-state='identified']").await;
    })
    .await;
    let (api, _) = server.counted().await;
    let refused: u64 = api
        .iter()
        .filter(|(status, _)| *status == 401)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(refused, 1, "one refusal, then the retry succeeded: {api:?}");
}

/// The project `id` as the admin API lists it.
async fn admin_project(api: &str, admin_token: &str, id: &str) -> Value {
    let text = reqwest::Client::new()
        .get(format!("{api}/admin/v1/projects"))
        .bearer_auth(admin_token)
        .send()
        .await
        .expect("listed")
        .text()
        .await
        .expect("text");
    let listing: Value = serde_json::from_str(&text).expect("JSON");
    listing["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|p| p["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} is not listed: {listing}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_page_sets_up_a_project_that_exchanges_and_names_a_refused_setting() {
    let Some((chromium, driver)) = tools() else {
        return;
    };
    let driver = Driver::start(chromium, &driver);
    let server = dev_server().await;
    let browser = driver.open(&format!("{}/admin", server.api)).await;
    let (api, admin_token) = (server.api.clone(), server.admin_token.clone());

    with_browsers(vec![browser], |browsers| async move {
        let page = &browsers[0];
        type_into(
            page,
            "#admin-token",
            "wrong-token-0123456789abcdef0123456789",
        )
        .await;
        click(page, "#sign-in button").await;
        wait_for_text(
            page,
            "error",
            "The admin token was refused: enter it again.",
        )
        .await;
        type_into(page, "#admin-token", &admin_token).await;
        click(page, "#sign-in button").await;
        wait_for(page, "#workspace:not([hidden])").await;
        wait_for(page, "#profile[data-profile='development']").await;
        // The development profile offers the none strategy; every preset is offered.
        wait_for(page, "#method option[value='none']").await;
        wait_for(page, "#method option[value='preset:clerk']").await;

        // The project of `tambo-auth dev` comes from its configuration: read-only.
        click(page, "#projects li[data-project-id='p_dev'] button").await;
        wait_for(page, "#read-only:not([hidden])").await;
        let save = page.find(Locator::Css("#save")).await.expect("save");
        assert!(!save.is_enabled().await.expect("enabled?"));
        assert!(
            page.find(Locator::Css("#new-key"))
                .await
                .expect("key button")
                .attr("hidden")
                .await
                .expect("hidden?")
                .is_some()
        );

        // A new project, its name shown as text.
        let name = "<b>Acme</b> threads";
        type_into(page, "#project-name-input", name).await;
        click(page, "#new-project button").await;
        wait_for_text(page, "project-title", name).await;
        wait_for(page, "#projects[data-count='2']").await;
        assert!(
            page.find_all(Locator::Css("#projects b, #project-title b"))
                .await
                .expect("query")
                .is_empty()
        );
        let id = text_of(page, "#project-id").await;
        assert!(id.starts_with("p_"), "{id}");
        assert!(save.is_enabled().await.expect("enabled?"));

        // The development identity provider's template, saved.
        page.find(Locator::Css("#template"))
            .await
            .expect("templates")
            .select_by_label("Development identity provider")
            .await
            .expect("chosen");
        let issuer = format!("{api}/dev/idp");
        assert_eq!(
            page.find(Locator::Css("#issuer"))
                .await
                .expect("issuer")
                .prop("value")
                .await
                .expect("value"),
            Some(issuer.clone())
        );
        click(page, "#save").await;
        wait_for(page, "#settings[data-state='saved']").await;
        let saved = admin_project(&api, &admin_token, &id).await;
        assert_eq!(
            saved["verification"],
            json!({
                "strategy": "oidc-discovery",
                "issuer": issuer,
                "audiences": ["tambo-dev"],
                "allow_loopback_http": true,
            })
        );
        assert_eq!(saved["hasSecret"], false);

        // An API key, shown once, listed by its prefix; it exchanges the IdP's token.
        click(page, "#new-key").await;
        wait_for(page, "#new-key-shown:not([hidden])").await;
        let key = text_of(page, "#new-key-value").await;
        assert!(key.starts_with("tambo_pk_") && key.len() > 40, "{key}");
        wait_for(page, "#key-list[data-count='1']").await;
        let row = text_of(page, "#key-list tbody tr").await;
        assert!(row.starts_with(&format!("{}…", &key[..13])), "{row}");
        assert!(!row.contains(&key), "{row}");
        let id_token = reqwest::get(format!("{api}/dev/idp/token?sub=alice"))
            .await
            .expect("minted")
            .text()
            .await
            .expect("token");
        let (status, body) = common::exchange(&reqwest::Client::new(), &api, &key, &id_token).await;
        assert_eq!(status, 200, "{body}");
        click(page, "#hide-key").await;
        wait_for(page, "#new-key-shown[hidden]").await;
        assert_eq!(text_of(page, "#new-key-value").await, "");

        // Trying a token: the user, or the refusal and its explanation.
        type_into(page, "#try-token", &id_token).await;
        click(page, "#try button").await;
        wait_for(page, "#try-result[data-ok='true']").await;
        assert_eq!(text_of(page, "#try-user dd[data-key='sub']").await, "alice");
        assert_eq!(text_of(page, "#try-verdict").await, "Accepted");
        type_into(page, "#try-token", "not-a-token").await;
        click(page, "#try button").await;
        wait_for(page, "#try-result[data-ok='false']").await;
        assert!(text_of(page, "#try-verdict").await.starts_with("Refused ("));
        assert!(!text_of(page, "#try-explanation").await.is_empty());
        assert!(
            page.find_all(Locator::Css("#try-user dd"))
                .await
                .expect("query")
                .is_empty()
        );

        // A shared secret too short to build: refused next to its field, nothing saved.
        let before = admin_project(&api, &admin_token, &id).await;
        page.find(Locator::Css("#method"))
            .await
            .expect("method")
            .select_by_value("symmetric")
            .await
            .expect("chosen");
        wait_for(
            page,
            ".field[data-field='verification.secret']:not([hidden])",
        )
        .await;
        type_into(page, "#secret", "too-short").await;
        click(page, "#save").await;
        wait_for(page, "#settings[data-state='refused']").await;
        let invalid = page
            .find_all(Locator::Css("#settings .field.invalid"))
            .await
            .expect("query");
        assert_eq!(invalid.len(), 1);
        assert_eq!(
            invalid[0]
                .attr("data-field")
                .await
                .expect("field")
                .as_deref(),
            Some("verification.secret")
        );
        let error = text_of(page, ".field[data-field='verification.secret'] .error").await;
        assert!(error.contains("secret"), "{error}");
        assert_eq!(text_of(page, "#settings-error").await, "");
        assert_eq!(admin_project(&api, &admin_token, &id).await, before);

        // A preset starts from the settings it needs; one left empty is refused next to the
        // preset's settings, naming it.
        page.find(Locator::Css("#method"))
            .await
            .expect("method")
            .select_by_value("preset:auth0")
            .await
            .expect("chosen");
        let prefilled = page
            .find(Locator::Css("#preset-settings"))
            .await
            .expect("preset settings")
            .prop("value")
            .await
            .expect("value")
            .expect("a value");
        assert_eq!(
            serde_json::from_str::<Value>(&prefilled).expect("JSON"),
            json!({"domain": "", "audience": ""})
        );
        click(page, "#save").await;
        wait_for(page, "#settings[data-state='refused']").await;
        let error = text_of(page, ".field[data-field='provider'].invalid .error").await;
        assert!(error.starts_with("provider."), "{error}");
        assert_eq!(admin_project(&api, &admin_token, &id).await, before);
        let (status, body) = common::exchange(&reqwest::Client::new(), &api, &key, &id_token).await;
        assert_eq!(status, 200, "{body}");

        // Nothing stored in the browser; neither the admin token nor the key in the document.
        let stored = page
            .execute(
                "return [localStorage.length, sessionStorage.length, document.cookie, \
                    document.documentElement.outerHTML.includes(arguments[0]), \
                    document.documentElement.outerHTML.includes(arguments[1])];",
                vec![json!(admin_token), json!(key)],
            )
            .await
            .expect("storage");
        assert_eq!(stored, json!([0, 0, "", false, false]));
    })
    .await;
}
