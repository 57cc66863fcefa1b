//! A loopback server for `benches/load.sh`: one row of the table behind `GET /` on
//! `127.0.0.1:PORT`, on a single-threaded runtime (one server thread, as in issue 6).
//!
//! ```text
//! bench-server <bare|layer-hit|layer-miss|jwt-authorizer|naive> <port> <token-file>
//! ```
//!
//! Writes the `Authorization` header value the load generator must send to `token-file`, then
//! serves until killed.

use std::net::SocketAddr;

use tambo_auth::Algorithm;
use tambo_auth::layer::TamboAuthLayer;
use tambo_auth_benches::{self as b, ProviderAlg};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(port), Some(token_file)) = (args.get(1), args.get(2), args.get(3)) else {
        eprintln!(
            "usage: bench-server <bare|layer-hit|layer-miss|jwt-authorizer|naive> <port> <token-file>"
        );
        std::process::exit(2);
    };
    let port: u16 = port.parse().expect("a port number");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind 127.0.0.1");
        let write = |value: String| std::fs::write(token_file, value).expect("token file");
        match mode.as_str() {
            "bare" => {
                write("Bearer none".into());
                axum::serve(listener, b::bare_router())
                    .await
                    .expect("serve");
            }
            "layer-hit" | "layer-miss" => {
                let tokens = b::tambo_tokens(Algorithm::EdDSA);
                write(format!("Bearer {}", b::tambo_token(&tokens, "alice")));
                let capacity = if mode == "layer-hit" { 10_000 } else { 0 };
                let layer = TamboAuthLayer::builder(tokens)
                    .cache_capacity(capacity)
                    .build()
                    .expect("layer");
                axum::serve(listener, b::layered(layer))
                    .await
                    .expect("serve");
            }
            "naive" => {
                write(format!(
                    "Bearer {}",
                    b::provider_token(ProviderAlg::Rs256, "alice")
                ));
                axum::serve(listener, b::naive_router(ProviderAlg::Rs256))
                    .await
                    .expect("serve");
            }
            "jwt-authorizer" => {
                write(format!(
                    "Bearer {}",
                    b::provider_token(ProviderAlg::Rs256, "alice")
                ));
                let router = b::jwt_authorizer_router(ProviderAlg::Rs256).await;
                axum07::serve(listener, router).await.expect("serve");
            }
            other => {
                eprintln!("unknown mode {other}");
                std::process::exit(2);
            }
        }
    });
}
