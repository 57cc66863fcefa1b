//! A tonic gRPC service behind `TamboAuthLayer`, with no interceptor: the layer authenticates
//! every call from its `authorization` metadata and refuses bad ones with `Unauthenticated`;
//! the handler reads the user with `RequestExt::tambo_user`.
//!
//! The service is written without code generation (one unary method, `demo.Demo/WhoAmI`), so
//! the example needs no `protoc`. Run it with `cargo run -p example-tonic-whoami`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::TamboTokens;
use tambo_auth::tonic::RequestExt as _;
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

/// The (empty) request of `WhoAmI`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WhoAmIRequest {}

/// The answer of `WhoAmI`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WhoAmIReply {
    /// The provider subject.
    #[prost(string, tag = "1")]
    pub sub: String,
    /// The user namespace.
    #[prost(string, tag = "2")]
    pub context_key: String,
}

/// The full gRPC path of the one method.
pub const WHOAMI_PATH: &str = "/demo.Demo/WhoAmI";

#[derive(Clone, Copy)]
struct WhoAmI;

impl UnaryService<WhoAmIRequest> for WhoAmI {
    type Response = WhoAmIReply;
    type Future = std::future::Ready<Result<Response<WhoAmIReply>, Status>>;

    fn call(&mut self, request: Request<WhoAmIRequest>) -> Self::Future {
        std::future::ready(request.tambo_user().map(|user| {
            Response::new(WhoAmIReply {
                sub: user.sub().to_owned(),
                context_key: user.context_key().to_string(),
            })
        }))
    }
}

/// The `demo.Demo` service.
#[derive(Clone, Copy, Debug, Default)]
pub struct Demo;

impl NamedService for Demo {
    const NAME: &'static str = "demo.Demo";
}

impl tower_service::Service<http::Request<Body>> for Demo {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        Box::pin(async move {
            if request.uri().path() == WHOAMI_PATH {
                let mut grpc = Grpc::new(ProstCodec::<WhoAmIReply, WhoAmIRequest>::default());
                Ok(grpc.unary(WhoAmI, request).await)
            } else {
                Ok(Status::unimplemented("no such method").into_http())
            }
        })
    }
}

/// Serves `Demo` behind the layer on an ephemeral loopback port; returns its address.
pub async fn serve(tokens: TamboTokens) -> std::io::Result<SocketAddr> {
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().map_err(std::io::Error::other)?)?;
    let addr = incoming.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(TamboAuthLayer::new(tokens))
            .add_service(Demo)
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

/// Calls `WhoAmI` at `addr` with `token` (if any) as bearer credentials.
pub async fn whoami(addr: SocketAddr, token: Option<&str>) -> Result<WhoAmIReply, Status> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .map_err(|e| Status::internal(e.to_string()))?
        .connect()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let mut request = Request::new(WhoAmIRequest {});
    if let Some(token) = token {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::invalid_argument("the token is not a header value"))?;
        request.metadata_mut().insert("authorization", value);
    }
    client
        .unary(
            request,
            http::uri::PathAndQuery::from_static(WHOAMI_PATH),
            ProstCodec::<WhoAmIRequest, WhoAmIReply>::default(),
        )
        .await
        .map(Response::into_inner)
}
