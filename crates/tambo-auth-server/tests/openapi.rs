//! `openapi.json` stays in sync with the router.
//!
//! - The document is valid JSON, OpenAPI 3.1.0, every `$ref` resolves, and every component
//!   schema is JSON Schema 2020-12.
//! - Every documented operation is answered by the real router (built in-process), never with
//!   axum's "no such route" 404 or a 405; with real ids its answer's status is documented and
//!   its JSON body matches the documented schema (checked by the `jsonschema` crate, formats
//!   included) with no member the document does not list. `/v1` operations answer 401 with a
//!   challenge without a token, the public ones answer without credentials.
//! - Every route in `server.rs` and `api.rs` (`.route("…", get(…).post(…))`) and the exchange
//!   routes are documented with at least those methods; undocumented methods of documented
//!   paths answer 405 and undocumented paths 404.
//! - Error answers (`/oauth/token` RFC 6749 bodies, `/v1` `{"error","message"}` with 400, 401,
//!   403, 404, 413, 415, 422) have the documented status and shape.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tambo_auth::exchange::{JWKS_PATH, METADATA_PATH, TOKEN_PATH};
use tambo_auth_testkit::TestIdp;
use tambo_auth_testkit::claims::now;

use common::{Answer, exchange_form, send};

const API_KEY: &str = "tambo_pk_openapi";
const OTHER_PROJECT_KEY: &str = "tambo_pk_other";
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Ids that look like ours but name nothing.
const DUMMY_THREAD: &str = "thr_0000000000000000000000000a";
const DUMMY_MESSAGE: &str = "msg_0000000000000000000000000a";

fn document() -> Value {
    serde_json::from_str(tambo_auth_server::openapi::document()).expect("openapi.json is JSON")
}

// ---------------------------------------------------------------------------------------------
// The document itself
// ---------------------------------------------------------------------------------------------

/// Resolves a local reference `#/a/b~1c`.
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

/// The pointer of the object at `pointer` once its `$ref`s are followed. Responses and
/// parameters may be OpenAPI Reference Objects, which are not JSON Schemas, so `jsonschema`
/// does not see them; it resolves the references inside a schema when it validates, and
/// [`closed`] follows those here only to decide where to close an object.
fn follow(doc: &Value, mut pointer: String) -> String {
    for _ in 0..16 {
        let next = doc.pointer(&pointer).and_then(|v| v.get("$ref"));
        match next.and_then(Value::as_str) {
            Some(r) => {
                let local = r
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("non-local {r}"));
                pointer = local.to_owned();
            }
            None => return pointer,
        }
    }
    panic!("a $ref cycle at {pointer}");
}

/// `value`, or what its `$ref` leads to.
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let at = follow(doc, r.strip_prefix('#').unwrap_or(r).to_owned());
            doc.pointer(&at).unwrap_or_else(|| panic!("unresolved {r}"))
        }
        None => value,
    }
}

/// A JSON pointer segment for `name` (RFC 6901: `~` and `/` escaped).
fn segment(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(r) = v.as_str()
                {
                    out.push(r.to_owned());
                }
                collect_refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// Every documented `(path template, lowercase method)`.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.push((path.clone(), method.to_owned()));
            }
        }
    }
    ops
}

/// A template with every `{param}` written `{}`, so `{id}` (OpenAPI) equals `{id}` (axum)
/// and `{messageId}` equals `{message_id}`.
fn shape(template: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50, "the document uses components");
    for r in &refs {
        assert!(resolve(&doc, r).is_some(), "$ref {r} does not resolve");
    }
    // The credentials.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["type"], "http");
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["apiKey"]["type"], "apiKey");
    assert_eq!(schemes["apiKey"]["in"], "header");
    assert_eq!(schemes["apiKey"]["name"], "x-api-key");

    let mut operation_ids = BTreeSet::new();
    for (path, method) in operations(&doc) {
        let item = &doc["paths"][&path];
        let op = &item[&method];
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: operationId"));
        assert!(
            operation_ids.insert(id.to_owned()),
            "operationId {id} twice"
        );
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}: responses"
        );
        // Every path parameter is declared, as `in: path`, required.
        let declared: BTreeSet<String> = item["parameters"]
            .as_array()
            .into_iter()
            .chain(op["parameters"].as_array())
            .flatten()
            .map(|p| deref(&doc, p))
            .filter(|p| p["in"] == "path")
            .inspect(|p| assert_eq!(p["required"], true, "{path}: path parameters are required"))
            .map(|p| p["name"].as_str().expect("name").to_owned())
            .collect();
        let in_template: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .map(|s| s.split('}').next().expect("}").to_owned())
            .collect();
        assert_eq!(declared, in_template, "{method} {path}: path parameters");
        // Every response's content has a schema, every status is a number.
        for (status, response) in op["responses"].as_object().expect("responses") {
            assert!(
                status.parse::<u16>().is_ok(),
                "{method} {path}: status {status}"
            );
            let response = deref(&doc, response);
            assert!(
                response["description"].is_string(),
                "{method} {path} {status}"
            );
            for (media, content) in response["content"].as_object().into_iter().flatten() {
                assert!(
                    content["schema"].is_object(),
                    "{method} {path} {status} {media}"
                );
            }
        }
        // `/v1` needs the bearer token (document default); everything else says what it needs.
        if path.starts_with("/v1/") {
            assert!(
                op.get("security").is_none(),
                "{path} uses the default security"
            );
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
            assert!(op["responses"]["403"].is_object(), "{method} {path}: 403");
            if path.contains('{') {
                assert!(op["responses"]["404"].is_object(), "{method} {path}: 404");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        op["responses"][status].is_object(),
                        "{method} {path}: {status}"
                    );
                }
            }
        } else {
            assert!(
                op["security"].is_array(),
                "{method} {path}: explicit security"
            );
        }
    }
    // Every component is a JSON Schema 2020-12 whose references resolve in the document
    // (`jsonschema` checks the schema against the meta-schema when it builds a validator).
    let schemas = Schemas::new(&doc);
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        schemas.validator(&format!("/components/schemas/{}", segment(name)));
    }
    // `GET /openapi.json` answers this document: it matches its own documented schema.
    let errors = schemas.errors(
        "/paths/~1openapi.json/get/responses/200/content/application~1json/schema",
        &doc,
    );
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        doc["security"]
            .as_array()
            .expect("security")
            .iter()
            .all(|s| s.get("bearerAuth").is_some()),
        "every default security alternative requires the bearer token"
    );
}

// ---------------------------------------------------------------------------------------------
// The routes in the source
// ---------------------------------------------------------------------------------------------

/// The `(path, methods)` of every `.route("…", …)` call in `source`.
fn source_routes(source: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut routes = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let args = &rest[at + ".route(".len()..];
        // The call's arguments: up to the matching parenthesis.
        let mut depth = 1usize;
        let mut end = args.len();
        let mut in_string = false;
        let mut prev = ' ';
        for (i, c) in args.char_indices() {
            match c {
                '"' if prev != '\\' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
            prev = c;
        }
        let call = &args[..end];
        rest = &args[end..];
        let Some(open) = call.find('"') else {
            continue; // a route named by a constant: checked separately
        };
        let path = &call[open + 1..];
        let path = &path[..path.find('"').expect("closing quote")];
        let mut methods = BTreeSet::new();
        for method in ["get", "post", "put", "patch", "delete"] {
            for prefix in [" ", "(", ".", "\n"] {
                if call.contains(&format!("{prefix}{method}(")) {
                    methods.insert(method.to_owned());
                }
            }
        }
        routes.push((path.to_owned(), methods));
    }
    routes
}

#[test]
fn every_route_in_the_source_is_documented_with_its_methods() {
    let doc = document();
    let documented: BTreeMap<String, BTreeSet<String>> = {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (path, method) in operations(&doc) {
            map.entry(shape(&path)).or_default().insert(method);
        }
        map
    };
    let mut routes = source_routes(include_str!("../src/server.rs"));
    routes.extend(source_routes(include_str!("../src/api.rs")));
    // The exchange router (tambo-auth) mounts these with constants.
    routes.push((TOKEN_PATH.to_owned(), BTreeSet::from(["post".to_owned()])));
    routes.push((JWKS_PATH.to_owned(), BTreeSet::from(["get".to_owned()])));
    routes.push((METADATA_PATH.to_owned(), BTreeSet::from(["get".to_owned()])));

    let paths: BTreeSet<&str> = routes.iter().map(|(p, _)| p.as_str()).collect();
    for expected in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/threads",
        "/v1/threads/{id}",
        "/v1/threads/{id}/messages",
        "/v1/threads/{id}/messages/{message_id}",
    ] {
        assert!(
            paths.contains(expected),
            "the source scan found no {expected}: {routes:?}"
        );
    }
    for (path, methods) in &routes {
        assert!(!methods.is_empty(), "no method found for {path}");
        let Some(doc_methods) = documented.get(&shape(path)) else {
            panic!("{path} is served but not documented in openapi.json");
        };
        for method in methods {
            assert!(
                doc_methods.contains(method),
                "{} {path} is served but not documented",
                method.to_uppercase()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The documented schemas, checked by the `jsonschema` crate
// ---------------------------------------------------------------------------------------------

/// Where the registry keeps the document, so that its `#/components/...` references resolve.
const DOCUMENT_URI: &str = "urn:tambo-auth:openapi.json";

/// The document's schemas (JSON Schema 2020-12, the dialect of OpenAPI 3.1), held by a
/// `jsonschema` registry that resolves nothing outside the document.
///
/// The document leaves objects open, as a published API should: a client must tolerate a
/// member added later. These tests hold the document to more: every member a response has is
/// documented. So the registry holds a closed copy of the document ([`closed`]), not the one
/// served.
struct Schemas {
    registry: jsonschema::Registry<'static>,
}

impl Schemas {
    fn new(doc: &Value) -> Self {
        let registry = jsonschema::Registry::new()
            .draft(jsonschema::Draft::Draft202012)
            .add(DOCUMENT_URI, closed(doc))
            .expect("the document's URI")
            .prepare()
            .expect("the document's schemas are indexed");
        Self { registry }
    }

    /// The validator of the schema at `pointer` in the document; panics when that schema is
    /// not JSON Schema 2020-12 or a reference in it does not resolve. `format` is asserted
    /// (`date-time`, `uri`), not only annotated.
    fn validator(&self, pointer: &str) -> jsonschema::Validator {
        // `{` and `}` (path templates) are not allowed in a URI fragment.
        let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .offline()
            .should_validate_formats(true)
            .with_registry(&self.registry)
            .build(&json!({"$ref": format!("{DOCUMENT_URI}#{fragment}")}))
            .unwrap_or_else(|e| panic!("the schema at {pointer}: {e}"))
    }

    /// What is wrong with `value` against the schema at `pointer` in the document.
    fn errors(&self, pointer: &str, value: &Value) -> Vec<String> {
        self.validator(pointer)
            .iter_errors(value)
            .map(|e| format!("${}: {e}", e.instance_path()))
            .collect()
    }
}

/// The document with every object schema closed where it is used: `unevaluatedProperties:
/// false` beside each schema that names members (`properties`, or a `$ref`, `allOf` or `oneOf`
/// that leads to some). A component is closed at each place that uses it rather than in
/// itself, because `Thread` is both a response of its own and a part of the `allOf` of
/// `ThreadWithMessages`, whose `messages` a closed `Thread` would refuse; the `allOf` is closed
/// as a whole, and `unevaluatedProperties` sees the members its parts evaluated.
fn closed(doc: &Value) -> Value {
    let mut out = doc.clone();
    if let Some(paths) = out.get_mut("paths") {
        close_uses(doc, paths);
    }
    if let Some(Value::Object(components)) = out.get_mut("components") {
        for (kind, v) in components.iter_mut() {
            if kind == "schemas" {
                for schema in v.as_object_mut().expect("schemas").values_mut() {
                    close(doc, schema, false);
                }
            } else {
                close_uses(doc, v);
            }
        }
    }
    out
}

/// Closes every `schema` of a media type, a parameter or a header in `value`: a place of use.
fn close_uses(doc: &Value, value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "schema" {
                    close(doc, v, true);
                } else {
                    close_uses(doc, v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| close_uses(doc, v)),
        _ => {}
    }
}

/// Closes `schema` (when `here`) and the schemas in it, for [`closed`].
fn close(doc: &Value, schema: &mut Value, here: bool) {
    let names = names_members(doc, schema);
    let Value::Object(map) = schema else {
        return;
    };
    let unknown = [
        "anyOf",
        "not",
        "if",
        "prefixItems",
        "patternProperties",
        "$defs",
    ];
    assert!(
        !unknown.iter().any(|k| map.contains_key(*k))
            && !map
                .get("additionalProperties")
                .is_some_and(Value::is_object),
        "`close` does not know which members {map:?} evaluates: teach it"
    );
    for member in map
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        close(doc, member, true);
    }
    if let Some(items) = map.get_mut("items") {
        close(doc, items, true);
    }
    // The parts of an `allOf` or `oneOf` stay open: their holder is closed.
    for keyword in ["allOf", "oneOf"] {
        for part in map
            .get_mut(keyword)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            close(doc, part, false);
        }
    }
    let open =
        !map.contains_key("additionalProperties") && !map.contains_key("unevaluatedProperties");
    if here && open && names {
        map.insert("unevaluatedProperties".into(), Value::Bool(false));
    }
}

/// Whether `schema` says which members an object has; one that does not (`Metadata`: any JSON
/// value) stays open.
fn names_members(doc: &Value, schema: &Value) -> bool {
    let schema = deref(doc, schema);
    schema.get("properties").is_some()
        || ["allOf", "oneOf"].iter().any(|keyword| {
            schema[keyword]
                .as_array()
                .is_some_and(|parts| parts.iter().any(|s| names_members(doc, s)))
        })
}

// ---------------------------------------------------------------------------------------------
// The router
// ---------------------------------------------------------------------------------------------

/// Whether the router serves `path` yet: `GET /openapi.json` is documented before the server
/// wires it to [`tambo_auth_server::openapi::document`]; until then its checks are skipped.
fn wired(path: &str) -> bool {
    let wired =
        path != "/openapi.json" || include_str!("../src/server.rs").contains("\"/openapi.json\"");
    if !wired {
        println!("GET {path} is documented but not wired in server.rs yet; skipping it");
    }
    wired
}

/// axum's answer for a path no route matches, or a method no route accepts.
fn is_route_missing(answer: &Answer) -> bool {
    answer.status == StatusCode::METHOD_NOT_ALLOWED
        || (answer.status == StatusCode::NOT_FOUND && answer.bytes.is_empty())
}

/// Checks `answer` against the documentation of `method path`: the status is documented,
/// the content type is one documented for it, and a JSON body matches the schema and has no
/// undocumented member (see [`Schemas`]).
fn conforms(f: &Fixture, path: &str, method: &str, answer: &Answer) {
    let what = format!(
        "{} {path} → {} {}",
        method.to_uppercase(),
        answer.status.as_u16(),
        answer.text()
    );
    let op = &f.doc["paths"][path][method];
    assert!(op.is_object(), "{what}: not documented");
    let at = follow(
        &f.doc,
        format!(
            "/paths/{}/{method}/responses/{}",
            segment(path),
            answer.status.as_str()
        ),
    );
    let response = f
        .doc
        .pointer(&at)
        .unwrap_or_else(|| panic!("{what}: status not documented"));
    if answer.bytes.is_empty() {
        return;
    }
    let media = answer
        .content_type()
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    assert!(
        response["content"].get(&media).is_some(),
        "{what}: content type {media:?} not documented"
    );
    if media == "application/json" {
        let schema = format!("{at}/content/{}/schema", segment(&media));
        let errors = f.schemas.errors(&schema, &answer.json());
        assert!(errors.is_empty(), "{what}: {errors:#?}");
    }
}

struct Fixture {
    doc: Value,
    schemas: Schemas,
    router: axum::Router,
    token: String,
    subject: String,
    _idp: TestIdp,
}

async fn fixture() -> Fixture {
    let idp = TestIdp::start().await;
    let router = common::router(&[
        ("p_openapi", API_KEY, &idp.issuer()),
        ("p_other", OTHER_PROJECT_KEY, "https://idp.example"),
    ])
    .await;
    let subject = idp.token(&idp.claims("alice", now()));
    let token = common::token_in_process(&router, API_KEY, &subject).await;
    let doc = document();
    Fixture {
        schemas: Schemas::new(&doc),
        doc,
        router,
        token,
        subject,
        _idp: idp,
    }
}

/// A request body that the operation accepts (every documented request body needs one).
fn sample_body(operation_id: &str, subject: &str) -> (&'static str, String) {
    match operation_id {
        "exchangeToken" => ("application/x-www-form-urlencoded", exchange_form(subject)),
        "createThread" => (
            "application/json",
            json!({
                "name": "first",
                "metadata": {"topic": "openapi"},
                "initialMessages": [
                    {"role": "user", "content": [{"type": "text", "text": "hi"}]}
                ]
            })
            .to_string(),
        ),
        "updateThread" => (
            "application/json",
            json!({"name": "renamed", "metadata": {"topic": "changed"}}).to_string(),
        ),
        "addMessage" => (
            "application/json",
            json!({
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "hello"},
                    {"type": "resource", "resource": {"uri": "file:///a"}}
                ],
                "metadata": {"k": 1}
            })
            .to_string(),
        ),
        other => panic!("add a sample request body for {other}"),
    }
}

fn substitute(path: &str, thread: &str, message: &str) -> String {
    path.replace("{id}", thread).replace("{messageId}", message)
}

fn request(method: &str, uri: &str, token: Option<&str>) -> axum::http::request::Builder {
    let mut builder = Request::builder()
        .method(Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"))
        .uri(uri);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder
}

/// [`request`] without a body.
fn empty(method: &str, uri: &str, token: Option<&str>) -> Request<Body> {
    request(method, uri, token)
        .body(Body::empty())
        .expect("request")
}

/// Sends the documented operation with a sample body, and the fixture's token to `/v1`.
async fn call(f: &Fixture, path: &str, method: &str, uri: &str) -> Answer {
    let op = &f.doc["paths"][path][method];
    let token = path.starts_with("/v1/").then_some(f.token.as_str());
    let mut builder = request(method, uri, token);
    let body = if op.get("requestBody").is_some() {
        let (media, body) = sample_body(op["operationId"].as_str().expect("id"), &f.subject);
        builder = builder.header("content-type", media);
        Body::from(body)
    } else {
        Body::empty()
    };
    if path == TOKEN_PATH {
        builder = builder.header("x-api-key", API_KEY);
    }
    send(&f.router, builder.body(body).expect("request")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served_as_documented() {
    let f = fixture().await;
    let doc = &f.doc;

    // A thread and a message to address.
    let created = call(&f, "/v1/threads", "post", "/v1/threads").await;
    assert_eq!(created.status, StatusCode::CREATED);
    let thread = created.json()["id"].as_str().expect("id").to_owned();
    let uri = format!("/v1/threads/{thread}/messages");
    let added = call(&f, "/v1/threads/{id}/messages", "post", &uri).await;
    assert_eq!(added.status, StatusCode::CREATED);
    let message = added.json()["id"].as_str().expect("id").to_owned();

    // Every operation, deletions last, with real ids: answered, documented status and shape.
    let mut ops: Vec<_> = operations(doc)
        .into_iter()
        .filter(|(path, _)| wired(path))
        .collect();
    ops.sort_by_key(|(_, m)| m == "delete");
    assert!(ops.len() >= 14, "{ops:?}");
    for (path, method) in &ops {
        let uri = substitute(path, &thread, &message);
        let answer = call(&f, path, method, &uri).await;
        assert!(
            !is_route_missing(&answer),
            "{} {path} is documented but the router has no such route ({})",
            method.to_uppercase(),
            answer.status
        );
        assert!(
            answer.status.is_success() || (path == "/readyz" && answer.status == 503),
            "{} {uri} → {} {}",
            method.to_uppercase(),
            answer.status,
            answer.text()
        );
        conforms(&f, path, method, &answer);
    }

    // Without credentials: `/v1` answers 401 with a challenge; the public routes answer.
    for (path, method) in &ops {
        let uri = substitute(path, DUMMY_THREAD, DUMMY_MESSAGE);
        let answer = send(&f.router, empty(method, &uri, None)).await;
        let op = &doc["paths"][path.as_str()][method.as_str()];
        let public = op["security"].as_array().is_some_and(Vec::is_empty);
        if public {
            assert!(
                answer.status.is_success() || answer.status == StatusCode::SERVICE_UNAVAILABLE,
                "{method} {path} is public: {}",
                answer.status
            );
        } else {
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} without credentials"
            );
            if path.starts_with("/v1/") {
                let challenge = answer.headers.get("www-authenticate").expect("a challenge");
                assert!(challenge.to_str().expect("ascii").starts_with("Bearer "));
            }
        }
        conforms(&f, path, method, &answer);
    }

    // Another (or no) thread: the API's JSON 404, documented, for every verb.
    for (path, method) in ops.iter().filter(|(p, _)| p.contains("{id}")) {
        let uri = substitute(path, DUMMY_THREAD, &message);
        let answer = call(&f, path, method, &uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(answer.json()["error"], "not_found");
        conforms(&f, path, method, &answer);
    }
    let uri = substitute(
        "/v1/threads/{id}/messages/{messageId}",
        &thread,
        DUMMY_MESSAGE,
    );
    let answer = call(&f, "/v1/threads/{id}/messages/{messageId}", "get", &uri).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    conforms(&f, "/v1/threads/{id}/messages/{messageId}", "get", &answer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undocumented_methods_and_paths_are_refused() {
    let f = fixture().await;
    let doc = &f.doc;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !wired(path) {
            continue;
        }
        let uri = substitute(path, DUMMY_THREAD, DUMMY_MESSAGE);
        for method in ["get", "post", "put", "patch", "delete", "options"] {
            if item.get(method).is_some() {
                continue;
            }
            let answer = send(
                &f.router,
                request(method, &uri, Some(&f.token))
                    .header("x-api-key", API_KEY)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{} {path} is not documented, so it must not be served",
                method.to_uppercase()
            );
            if path == TOKEN_PATH {
                // The exchange answers 405 itself, as documented.
                assert_eq!(answer.headers["allow"], "POST");
                let at = follow(doc, format!("/paths/{}/post/responses/405", segment(path)));
                let schema = format!("{at}/content/application~1json/schema");
                let errors = f.schemas.errors(&schema, &answer.json());
                assert!(errors.is_empty(), "{errors:#?}");
            }
        }
    }
    for path in [
        "/",
        "/v1",
        "/v1/thread",
        "/v1/threads/",
        "/v1/threads/x/y",
        "/v1/threads/x/messages/y/z",
        "/v2/threads",
        "/oauth/authorize",
        "/oauth/revoke",
        "/.well-known/openid-configuration",
        "/openapi.yaml",
    ] {
        // Without a token too: only matched `/v1` routes authenticate.
        for (token, how) in [(Some(f.token.as_str()), ""), (None, " without a token")] {
            let answer = send(&f.router, empty("get", path, token)).await;
            assert!(
                answer.status == StatusCode::NOT_FOUND && answer.bytes.is_empty(),
                "GET {path}{how} is not documented but answers {}",
                answer.status
            );
        }
    }
    // `GET /openapi.json` serves this document once the server wires it.
    if wired("/openapi.json") {
        let served = send(&f.router, empty("get", "/openapi.json", None)).await;
        assert_eq!(served.status, StatusCode::OK);
        assert!(served.content_type().starts_with("application/json"));
        assert_eq!(served.json(), *doc);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answers_have_the_documented_status_and_shape() {
    let f = fixture().await;
    let doc = &f.doc;

    // POST /oauth/token: RFC 6749 bodies with the no-store headers.
    let token_call = |api_key: Option<&str>, content_type: &str, body: String| {
        let mut builder = Request::post(TOKEN_PATH).header("content-type", content_type);
        if let Some(key) = api_key {
            builder = builder.header("x-api-key", key);
        }
        builder.body(Body::from(body)).expect("request")
    };
    const FORM: &str = "application/x-www-form-urlencoded";
    let form = exchange_form(&f.subject);
    let elsewhere = format!("{form}&audience=https%3A%2F%2Felsewhere.example");
    let cases = [
        (token_call(None, FORM, form.clone()), 401, "invalid_client"),
        (
            token_call(Some("tambo_pk_nope"), FORM, form.clone()),
            401,
            "invalid_client",
        ),
        (
            token_call(Some(API_KEY), FORM, "grant_type=password".into()),
            400,
            "unsupported_grant_type",
        ),
        (
            token_call(Some(API_KEY), FORM, exchange_form("not.a.token")),
            400,
            "invalid_request",
        ),
        (
            token_call(Some(API_KEY), FORM, elsewhere),
            400,
            "invalid_target",
        ),
        (
            token_call(Some(API_KEY), "text/plain", form),
            400,
            "invalid_request",
        ),
        (
            token_call(Some(API_KEY), FORM, "a".repeat(17 * 1024)),
            413,
            "invalid_request",
        ),
        (
            request("get", TOKEN_PATH, None)
                .header("x-api-key", API_KEY)
                .body(Body::empty())
                .expect("request"),
            405,
            "invalid_request",
        ),
    ];
    for (request, status, code) in cases {
        let answer = send(&f.router, request).await;
        assert_eq!(answer.status, status, "{answer:?}");
        assert_eq!(answer.json()["error"], code);
        assert!(answer.json()["error_description"].is_string());
        assert_eq!(answer.headers["cache-control"], "no-store");
        assert_eq!(answer.headers["pragma"], "no-cache");
        conforms(&f, TOKEN_PATH, "post", &answer);
    }
    // The JSON form of the request is documented and accepted.
    let json_request = json!({
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token": f.subject,
        "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
        "audience": ["tambo"]
    });
    let answer = send(
        &f.router,
        token_call(Some(API_KEY), "application/json", json_request.to_string()),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    conforms(&f, TOKEN_PATH, "post", &answer);
    assert!(
        doc["paths"][TOKEN_PATH]["post"]["requestBody"]["content"]["application/json"].is_object()
    );

    // The public documents have their documented members (`conforms` checks `required`).
    for path in [JWKS_PATH, METADATA_PATH, "/healthz", "/readyz", "/metrics"] {
        let answer = send(&f.router, empty("get", path, None)).await;
        conforms(&f, path, "get", &answer);
        if path == "/metrics" {
            assert!(answer.content_type().starts_with("text/plain"));
        } else {
            assert!(answer.is_json(), "{path}");
        }
        if path == JWKS_PATH {
            assert!(!answer.json()["keys"].as_array().expect("keys").is_empty());
        }
        if path == "/readyz" {
            // The second project's issuer is never contacted, so the server is not ready.
            assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(answer.json()["issuers"].as_array().map(Vec::len), Some(2));
        }
    }

    // `/v1` errors: `{"error", "message"}` with the documented statuses.
    let get = |uri: &str, api_key: Option<&str>| {
        let mut builder = request("get", uri, Some(&f.token));
        if let Some(key) = api_key {
            builder = builder.header("x-api-key", key);
        }
        builder.body(Body::empty()).expect("request")
    };
    let post = |content_type: Option<&str>, body: String| {
        let mut builder = request("post", "/v1/threads", Some(&f.token));
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        builder.body(Body::from(body)).expect("request")
    };
    const JSON: Option<&str> = Some("application/json");
    let too_long = format!(r#"{{"name":"{}"}}"#, "a".repeat(300 * 1024));
    // Under the body limit, over the default message limit (64 KiB).
    let big_message = json!({"initialMessages": [
        {"role": "user", "content": [{"type": "text", "text": "a".repeat(65 * 1024)}]}
    ]})
    .to_string();
    let sideways = format!("/v1/threads/{DUMMY_THREAD}/messages?order=sideways");
    let cases = [
        (
            "/v1/threads",
            get("/v1/threads?limit=0", None),
            400,
            "invalid_request",
        ),
        (
            "/v1/threads",
            get("/v1/threads?cursor=garbage", None),
            400,
            "invalid_request",
        ),
        (
            "/v1/threads",
            get("/v1/threads", Some("tambo_pk_nope")),
            401,
            "invalid_client",
        ),
        (
            "/v1/threads",
            get("/v1/threads", Some(OTHER_PROJECT_KEY)),
            403,
            "project_mismatch",
        ),
        (
            "/v1/threads",
            post(None, "{}".into()),
            415,
            "invalid_request",
        ),
        (
            "/v1/threads",
            post(JSON, "{".into()),
            400,
            "invalid_request",
        ),
        (
            "/v1/threads",
            post(JSON, r#"{"userKey":"u"}"#.into()),
            422,
            "invalid_request",
        ),
        ("/v1/threads", post(JSON, too_long), 413, "invalid_request"),
        (
            "/v1/threads",
            post(JSON, json!({"name": "a\u{0}b"}).to_string()),
            400,
            "invalid_request",
        ),
        (
            "/v1/threads",
            post(JSON, big_message),
            413,
            "message_too_large",
        ),
        (
            "/v1/threads/{id}/messages",
            get(&sideways, None),
            400,
            "invalid_request",
        ),
    ];
    for (path, request, status, code) in cases {
        let method = request.method().as_str().to_lowercase();
        let answer = send(&f.router, request).await;
        assert_eq!(answer.status, status, "{method} {path}: {answer:?}");
        assert_eq!(answer.json()["error"], code, "{method} {path}");
        assert!(answer.json()["message"].is_string());
        conforms(&f, path, &method, &answer);
    }
    // Remote peers: `/readyz` without details and `/metrics` refused, as documented.
    const OPS: &str = "ops-0123456789abcdef0123456789abcdef";
    let projects = [("p_openapi", API_KEY, "https://idp.example")];
    for (text, status, code) in [
        (
            common::config_text("sqlite::memory:", &projects),
            403,
            "forbidden",
        ),
        (common::with_ops_token(&projects, OPS), 401, "missing_token"),
    ] {
        let far = common::from_peer(common::router_of(&text).await, [203, 0, 113, 7]);
        let ready = send(&far, empty("get", "/readyz", None)).await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready.json(), json!({"ready": false}));
        conforms(&f, "/readyz", "get", &ready);
        let metrics = send(&far, empty("get", "/metrics", None)).await;
        assert_eq!(metrics.status.as_u16(), status, "{metrics:?}");
        assert_eq!(metrics.json()["error"], code);
        conforms(&f, "/metrics", "get", &metrics);
    }

    // A malformed bearer header: the layer's 400 with a challenge.
    let answer = send(
        &f.router,
        request("get", "/v1/threads", None)
            .header("authorization", "Bearer a b")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.headers.contains_key("www-authenticate"));
    conforms(&f, "/v1/threads", "get", &answer);
}

/// Found by the API fuzzing (`scripts/api-fuzz.sh`): serde's derived `Deserialize` took a JSON
/// array of a struct's fields in order, so `[null, null]` created a thread and renamed one
/// with nothing. Every `/v1` body, and every object inside one, is an object or a 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_objects_never_arrays_of_their_fields() {
    let f = fixture().await;
    let created = send(
        &f.router,
        request("post", "/v1/threads", Some(&f.token))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"name":"kept"}"#))
            .expect("request"),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let thread = created.json()["id"].as_str().expect("id").to_owned();
    let messages = format!("/v1/threads/{thread}/messages");
    let at_thread = format!("/v1/threads/{thread}");
    let text = json!({"type": "text", "text": "hi"});
    let cases = [
        ("post", "/v1/threads", "/v1/threads", json!([null, null])),
        (
            "post",
            "/v1/threads",
            "/v1/threads",
            json!([null, null, []]),
        ),
        (
            "post",
            "/v1/threads",
            "/v1/threads",
            json!({"initialMessages": [["user", [text]]]}),
        ),
        (
            "post",
            "/v1/threads",
            "/v1/threads",
            json!({"initialMessages": [{"role": "user", "content": [["text", "hi"]]}]}),
        ),
        ("patch", "/v1/threads/{id}", &at_thread, json!([null, null])),
        (
            "patch",
            "/v1/threads/{id}",
            &at_thread,
            json!(["renamed", {"k": 1}]),
        ),
        (
            "post",
            "/v1/threads/{id}/messages",
            &messages,
            json!(["user", [text], null]),
        ),
        (
            "post",
            "/v1/threads/{id}/messages",
            &messages,
            json!({"role": "user", "content": [["text", "hi"]]}),
        ),
    ];
    for (method, path, uri, body) in cases {
        let answer = send(
            &f.router,
            request(method, uri, Some(&f.token))
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}: {answer:?}"
        );
        assert_eq!(answer.json()["error"], "invalid_request");
        conforms(&f, path, method, &answer);
    }
    // Nothing was created or changed.
    let list = send(&f.router, empty("get", "/v1/threads", Some(&f.token))).await;
    assert_eq!(
        list.json()["threads"].as_array().map(Vec::len),
        Some(1),
        "{list:?}"
    );
    let read = send(&f.router, empty("get", &at_thread, Some(&f.token))).await;
    assert_eq!(read.json()["name"], "kept");
    assert_eq!(read.json()["messages"], json!([]));
}

/// The rate limits' 429 `slow_down` (on by default in `tambo-auth serve`) is documented, with
/// its `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_exchange_is_answered_as_documented() {
    let f = fixture().await;
    let text = common::config_text(
        "sqlite::memory:",
        &[("p_openapi", API_KEY, "https://idp.example")],
    )
    .replacen(
        common::NO_RATE_LIMITS,
        "[rate_limits]\nper_client_per_minute = 1\nper_client_burst = 1\n",
        1,
    );
    let router = common::from_peer(common::router_of(&text).await, [192, 0, 2, 9]);
    let exchange = || {
        Request::post(TOKEN_PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-api-key", API_KEY)
            .body(Body::from(exchange_form("not.a.token")))
            .expect("request")
    };
    let first = send(&router, exchange()).await;
    assert_eq!(first.status, StatusCode::BAD_REQUEST, "{first:?}");
    let answer = send(&router, exchange()).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{answer:?}");
    assert_eq!(answer.json()["error"], "slow_down");
    assert!(answer.headers.contains_key("retry-after"));
    assert_eq!(answer.headers["cache-control"], "no-store");
    conforms(&f, TOKEN_PATH, "post", &answer);
    let documented = &f.doc["paths"][TOKEN_PATH]["post"]["responses"]["429"]["headers"];
    assert!(documented["Retry-After"].is_object(), "{documented}");
}
