//! The example against the reference server (`tambo-auth dev`, in process on 127.0.0.1):
//! two browsers sign in, create and list threads through the app, each sees only their own,
//! and nothing the browser receives holds a token.

use example_server_side_retrieval::{COOKIE_NAME, Settings, router};
use tambo_auth_server::dev;

/// Serves `router` on 127.0.0.1; its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listener");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

/// A browser: a session cookie, and everything it was sent.
struct Browser {
    http: reqwest::Client,
    app: String,
    cookie: Option<String>,
    received: String,
}

impl Browser {
    fn new(app: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            app: app.to_owned(),
            cookie: None,
            received: String::new(),
        }
    }

    /// `GET path` or `POST path` with a form; the status and the body.
    async fn send(&mut self, path: &str, form: Option<&str>) -> (u16, String) {
        let url = format!("{}{path}", self.app);
        let mut request = match form {
            Some(form) => self
                .http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form.to_owned()),
            None => self.http.get(url),
        };
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let answer = request.send().await.expect("answered");
        let status = answer.status().as_u16();
        for set in answer.headers().get_all("set-cookie") {
            let set = set.to_str().expect("ascii");
            self.received.push_str(set);
            assert!(
                set.contains("HttpOnly") && set.contains("SameSite=Lax"),
                "{set}"
            );
            let pair = set.split(';').next().unwrap_or_default();
            self.cookie = Some(pair.to_owned()).filter(|p| *p != format!("{COOKIE_NAME}="));
        }
        let body = answer.text().await.expect("body");
        self.received.push_str(&body);
        (status, body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_sees_their_own_threads_and_the_browser_never_sees_a_token() {
    let data = tempfile::tempdir().expect("temp dir");
    let api = dev::start(0, data.path()).await.expect("dev server");
    let api_base = format!("http://{}", api.addr);
    tokio::spawn(
        api.server
            .serve_router(api.listener, api.router, std::future::pending()),
    );
    let app = serve(router(Settings {
        identity_provider: format!("{api_base}{}/token", dev::IDP_PATH),
        api_key: dev::API_KEY.to_owned(),
        api: api_base,
    }))
    .await;

    let mut alice = Browser::new(&app);
    let (status, page) = alice.send("/", None).await;
    assert_eq!(status, 200);
    assert!(page.contains("Sign in"), "{page}");
    assert_eq!(alice.send("/sign-in", Some("user=alice")).await.0, 303);
    assert!(alice.cookie.is_some());
    assert_eq!(
        alice
            .send("/threads", Some("name=%3Cb%3Egroceries%3C%2Fb%3E"))
            .await
            .0,
        303
    );
    let (status, page) = alice.send("/", None).await;
    assert_eq!(status, 200);
    assert!(page.contains("alice's threads"), "{page}");
    // Escaped: a thread name is the user's input.
    assert!(page.contains("&lt;b&gt;groceries&lt;/b&gt;"), "{page}");

    let mut bob = Browser::new(&app);
    bob.send("/sign-in", Some("user=bob")).await;
    let (_, page) = bob.send("/", None).await;
    assert!(
        page.contains("bob's threads") && !page.contains("groceries"),
        "{page}"
    );
    assert_eq!(bob.send("/sign-in", Some("user=%3Cscript%3E")).await.0, 400);

    // Signed out, the cookie is gone and the threads with it.
    assert_eq!(alice.send("/sign-out", Some("")).await.0, 303);
    let (_, page) = alice.send("/", None).await;
    assert!(
        page.contains("Sign in") && !page.contains("groceries"),
        "{page}"
    );

    // No JWT (a base64url JSON header starts `eyJ`) ever reached either browser.
    for browser in [&alice, &bob] {
        assert!(
            !browser.received.contains("eyJ"),
            "a token reached the browser"
        );
    }
}
