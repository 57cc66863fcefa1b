//! Runs the server-side retrieval example against `tambo-auth dev`:
//!
//! ```sh
//! cargo run -p tambo-auth-server -- dev                 # the Tambo API on 127.0.0.1:8260
//! cargo run -p example-server-side-retrieval            # this app on 127.0.0.1:3000
//! ```
//!
//! `TAMBO_API` (default `http://127.0.0.1:8260`), `TAMBO_API_KEY` (default the development
//! project's key) and `LISTEN` (default `127.0.0.1:3000`) change where it points and listens.

use example_server_side_retrieval::{Settings, router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let api = env("TAMBO_API", "http://127.0.0.1:8260");
    let settings = Settings {
        identity_provider: format!("{api}/dev/idp/token"),
        api_key: env("TAMBO_API_KEY", "tambo_pk_dev"),
        api,
    };
    let listener = tokio::net::TcpListener::bind(env("LISTEN", "127.0.0.1:3000")).await?;
    println!("server-side retrieval on http://{}", listener.local_addr()?);
    axum::serve(listener, router(settings)).await?;
    Ok(())
}
