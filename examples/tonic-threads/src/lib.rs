//! A tonic gRPC thread service behind `TamboAuthLayer`, with no interceptor: the layer
//! authenticates every call from its `authorization` metadata and refuses bad ones with
//! `Unauthenticated`; handlers read the user with `RequestExt::tambo_user` and keep each user's
//! threads apart by its context key.
//!
//! The service is written without code generation (three unary methods of `demo.Threads`), so
//! the example needs no `protoc`. Run it with `cargo run -p example-tonic-threads`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tambo_auth::layer::TamboAuthLayer;
use tambo_auth::token::TamboTokens;
use tambo_auth::tonic::RequestExt as _;
use tambo_auth::{ContextKey, TamboUser};
use tonic::body::Body;
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;

/// `WhoAmI` takes nothing.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}

/// The caller, as the layer authenticated it.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WhoAmIReply {
    /// The provider subject.
    #[prost(string, tag = "1")]
    pub sub: String,
    /// The user namespace.
    #[prost(string, tag = "2")]
    pub context_key: String,
}

/// `CreateThread` request.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CreateThread {
    /// The thread's name.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// A thread.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Thread {
    /// Its id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Its name.
    #[prost(string, tag = "2")]
    pub name: String,
}

/// `ListThreads` answer: the caller's threads only.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ThreadList {
    /// The threads, oldest first.
    #[prost(message, repeated, tag = "1")]
    pub threads: Vec<Thread>,
}

/// Method paths.
pub mod paths {
    /// `demo.Threads/WhoAmI`.
    pub const WHOAMI: &str = "/demo.Threads/WhoAmI";
    /// `demo.Threads/CreateThread`.
    pub const CREATE: &str = "/demo.Threads/CreateThread";
    /// `demo.Threads/ListThreads`.
    pub const LIST: &str = "/demo.Threads/ListThreads";
}

type Store = Arc<Mutex<HashMap<ContextKey, Vec<Thread>>>>;

/// The `demo.Threads` service: every thread belongs to the user who created it.
#[derive(Clone, Debug, Default)]
pub struct Threads {
    store: Store,
}

impl NamedService for Threads {
    const NAME: &'static str = "demo.Threads";
}

type Ready<T> = std::future::Ready<Result<Response<T>, Status>>;

/// One unary method of `demo.Threads`, from a function of the caller and the request message:
/// the user is read once here, and a call that carries none is `Unauthenticated`.
struct Method<F>(F);

impl<Req, Res, F> UnaryService<Req> for Method<F>
where
    F: FnMut(TamboUser, Req) -> Res,
{
    type Response = Res;
    type Future = Ready<Res>;

    fn call(&mut self, request: Request<Req>) -> Self::Future {
        std::future::ready(
            request
                .tambo_user()
                .map(|user| Response::new((self.0)(user, request.into_inner()))),
        )
    }
}

fn whoami(user: TamboUser, _: Empty) -> WhoAmIReply {
    WhoAmIReply {
        sub: user.sub().to_owned(),
        context_key: user.context_key().to_string(),
    }
}

fn create(store: &Store, user: TamboUser, request: CreateThread) -> Thread {
    let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
    let threads = store.entry(user.context_key().clone()).or_default();
    let thread = Thread {
        id: format!("thr_{}", threads.len() + 1),
        name: request.name,
    };
    threads.push(thread.clone());
    thread
}

fn list(store: &Store, user: TamboUser, _: Empty) -> ThreadList {
    let store = store.lock().unwrap_or_else(|e| e.into_inner());
    ThreadList {
        threads: store.get(user.context_key()).cloned().unwrap_or_default(),
    }
}

impl tower_service::Service<http::Request<Body>> for Threads {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let store = self.store.clone();
        Box::pin(async move {
            Ok(match request.uri().path() {
                paths::WHOAMI => {
                    Grpc::new(ProstCodec::<WhoAmIReply, Empty>::default())
                        .unary(Method(whoami), request)
                        .await
                }
                paths::CREATE => {
                    Grpc::new(ProstCodec::<Thread, CreateThread>::default())
                        .unary(Method(|user, m| create(&store, user, m)), request)
                        .await
                }
                paths::LIST => {
                    Grpc::new(ProstCodec::<ThreadList, Empty>::default())
                        .unary(Method(|user, m| list(&store, user, m)), request)
                        .await
                }
                _ => Status::unimplemented("no such method").into_http(),
            })
        })
    }
}

/// Serves `Threads` behind the layer on an ephemeral loopback port; returns its address.
pub async fn serve(tokens: TamboTokens) -> std::io::Result<SocketAddr> {
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().map_err(std::io::Error::other)?)?;
    let addr = incoming.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .layer(TamboAuthLayer::new(tokens))
            .add_service(Threads::default())
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

/// A client for `demo.Threads`, sending `token` (if any) as bearer credentials.
#[derive(Debug, Clone)]
pub struct Client {
    grpc: tonic::client::Grpc<tonic::transport::Channel>,
    token: Option<String>,
}

impl Client {
    /// Connects to `addr`.
    pub async fn connect(addr: SocketAddr, token: Option<&str>) -> Result<Client, Status> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .map_err(|e| Status::internal(e.to_string()))?
            .connect()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Client {
            grpc: tonic::client::Grpc::new(channel),
            token: token.map(str::to_owned),
        })
    }

    async fn call<Req, Res>(&mut self, path: &'static str, message: Req) -> Result<Res, Status>
    where
        Req: prost::Message + Send + Sync + 'static,
        Res: prost::Message + Default + Send + Sync + 'static,
    {
        self.grpc
            .ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let mut request = Request::new(message);
        if let Some(token) = &self.token {
            let value = format!("Bearer {token}")
                .parse()
                .map_err(|_| Status::invalid_argument("the token is not a header value"))?;
            request.metadata_mut().insert("authorization", value);
        }
        self.grpc
            .unary(
                request,
                http::uri::PathAndQuery::from_static(path),
                ProstCodec::<Req, Res>::default(),
            )
            .await
            .map(Response::into_inner)
    }

    /// `WhoAmI`.
    pub async fn whoami(&mut self) -> Result<WhoAmIReply, Status> {
        self.call(paths::WHOAMI, Empty {}).await
    }

    /// `CreateThread`.
    pub async fn create_thread(&mut self, name: &str) -> Result<Thread, Status> {
        let message = CreateThread {
            name: name.to_owned(),
        };
        self.call(paths::CREATE, message).await
    }

    /// `ListThreads`: the caller's threads.
    pub async fn list_threads(&mut self) -> Result<Vec<Thread>, Status> {
        self.call::<_, ThreadList>(paths::LIST, Empty {})
            .await
            .map(|list| list.threads)
    }
}
