//! Claim-set templates: a generic short-lived token and the shapes real identity providers
//! issue (Auth0, Clerk, Supabase, WorkOS, Better Auth, Neon Auth, Google, Microsoft Entra ID,
//! Okta, Keycloak, Login.gov, Firebase Authentication).
//!
//! Every template takes the issuer, the subject and "now" (seconds since the Unix epoch, so a
//! test can pin its clock) and returns a `serde_json::Value` to adjust before signing.
//! Provider templates mirror the shapes recorded in the project's provider notes: the same
//! claim names, types, lifetimes and `nbf`/`aud` habits. Identifiers (`jti`, session ids) are
//! random in the provider's format; names, emails and organisation ids are fixed, made-up
//! values. The matching `*_header` functions give each provider's header shape for a
//! [`TestKey`].
//!
//! ```
//! use serde_json::json;
//! use tambo_auth_testkit::claims;
//! use tambo_auth_testkit::jws::JwsBuilder;
//! use tambo_auth_testkit::keys::fixtures;
//!
//! let now = claims::now();
//! let mut payload = claims::clerk_session_token("https://clerk.acme.example", "user_2abc", now);
//! assert_eq!(payload["exp"], now + 60);
//! assert_eq!(payload["nbf"], now - 5);
//! payload["azp"] = json!("https://evil.example"); // adjust, then sign
//!
//! let key = &fixtures().rsa;
//! let token = JwsBuilder::new()
//!     .header(claims::clerk_header(key))
//!     .payload(payload)
//!     .sign(key, key.default_alg());
//! assert_eq!(token.split('.').count(), 3);
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::jws::b64url;
use crate::keys::{TestKey, merge, random_bytes};

/// The current time in whole seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        // Only a clock set before 1970 fails here; that is a broken test machine.
        .expect("the system clock is after 1970")
        .as_secs()
}

/// A generic access token: `{iss, sub, iat: now, nbf: now, exp: now + 300, jti}` with a random
/// 32-hex-digit `jti`. No `aud`: add one for the verifier under test.
pub fn claims(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "sub": sub,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": hex(&random_bytes(16)),
    })
}

/// The API identifier [`auth0_access_token`] puts first in `aud`.
pub const AUTH0_API_AUDIENCE: &str = "https://api.acme.example";
/// The client id [`auth0_access_token`] puts in `azp`.
pub const AUTH0_CLIENT_ID: &str = "Zq3B7xY1wPq9LmN4aK2sT6vR8uD0cE5f";
/// The origin [`clerk_session_token`] puts in `azp`.
pub const CLERK_AZP: &str = "https://app.acme.example";
/// The OAuth client id [`google_id_token`] puts in `aud` and `azp`.
pub const GOOGLE_CLIENT_ID: &str = "1234567890-abc123def456ghi789.apps.googleusercontent.com";
/// The Supabase project ref used by [`supabase_legacy_anon_key`].
pub const SUPABASE_PROJECT_REF: &str = "abcdefghijklmnopqrst";

/// An Auth0 access token for an API, "Auth0" token profile, requested with `openid`:
///
/// - `aud` is an **array** `[AUTH0_API_AUDIENCE, "<issuer>userinfo"]` (Auth0 issuers end in
///   `/`; a missing one is added before `userinfo`);
/// - `azp` (client id), `scope`, `permissions`, `org_id`;
/// - 24 h lifetime (`exp = iat + 86400`), no `nbf`, no `jti`, no email.
///
/// Auth0 subjects look like `google-oauth2|108234567890123456789` or `auth0|64f1...`.
pub fn auth0_access_token(issuer: &str, sub: &str, now: u64) -> Value {
    let userinfo = format!("{}/userinfo", issuer.trim_end_matches('/'));
    json!({
        "iss": issuer,
        "sub": sub,
        "aud": [AUTH0_API_AUDIENCE, userinfo],
        "iat": now,
        "exp": now + 86_400,
        "azp": AUTH0_CLIENT_ID,
        "scope": "openid profile email read:threads",
        "permissions": ["read:threads"],
        "org_id": "org_9sQwErTyUiOpAsDf",
    })
}

/// Auth0's header: `{"alg", "typ": "JWT", "kid"}` (RS256 in production).
pub fn auth0_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "typ": "JWT", "kid": key.kid()})
}

/// A Clerk session token, claims version 2, with an active organisation:
///
/// - no `aud`; `azp` is the requesting origin ([`CLERK_AZP`]);
/// - 60 s lifetime and `nbf = iat - 5` (Clerk's clock-skew allowance);
/// - `sid` (`sess_...`), `jti`, `fva`, `v: 2`, `pla`, `fea`;
/// - `o = {id, slg, rol, per, fpm}` (v2 organisation claims; `rol` has no `org:` prefix).
///
/// No `sts`: see [`clerk_pending_session_token`]. Clerk subjects look like `user_2NNEq...`.
pub fn clerk_session_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "azp": CLERK_AZP,
        "exp": now + 60,
        "iat": now,
        "nbf": now.saturating_sub(5),
        "iss": issuer,
        "jti": hex(&random_bytes(10)),
        "sid": format!("sess_{}", base62(27)),
        "sub": sub,
        "fva": [3, -1],
        "o": {
            "id": "org_2ZkR1sT2uV3wX4yZ5aB6cD7eF8g",
            "slg": "acme",
            "rol": "admin",
            "per": "read,manage",
            "fpm": "3",
        },
        "pla": "u:free,o:pro",
        "fea": "o:dashboard",
        "v": 2,
    })
}

/// A Clerk session token of a user who must still pick an organisation: `sts: "pending"` and
/// no `o` claim.
pub fn clerk_pending_session_token(issuer: &str, sub: &str, now: u64) -> Value {
    let mut claims = clerk_session_token(issuer, sub, now);
    if let Value::Object(map) = &mut claims {
        map.remove("o");
        map.insert("sts".into(), json!("pending"));
    }
    claims
}

/// Clerk's header, with its non-standard `cat` parameter:
/// `{"alg", "cat": "cl_B7d4PD111AAA", "kid", "typ": "JWT"}` (RS256 in production).
pub fn clerk_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "cat": "cl_B7d4PD111AAA", "kid": key.kid(), "typ": "JWT"})
}

/// A Supabase Auth user access token (asymmetric signing keys era):
///
/// - `aud: "authenticated"` as a **string**, `role: "authenticated"`;
/// - 1 h lifetime (the Auth server's default `JWT_EXP`), no `nbf`;
/// - `email`, `phone: ""`, `app_metadata`, `user_metadata`, `aal: "aal1"`,
///   `amr: [{method: "password", timestamp}]`, `session_id` (UUID), `is_anonymous: false`.
///
/// Supabase subjects are UUIDs; issuers look like `https://<ref>.supabase.co/auth/v1`.
pub fn supabase_access_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "sub": sub,
        "aud": "authenticated",
        "exp": now + 3600,
        "iat": now,
        "email": "ada@example.com",
        "phone": "",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"email_verified": true},
        "role": "authenticated",
        "aal": "aal1",
        "amr": [{"method": "password", "timestamp": now.saturating_sub(10)}],
        "session_id": uuid(),
        "is_anonymous": false,
    })
}

/// A Supabase anonymous sign-in: a real user (`role`/`aud` `authenticated`) with
/// `is_anonymous: true`, `amr` method `anonymous`, and empty email and phone.
pub fn supabase_anonymous_token(issuer: &str, sub: &str, now: u64) -> Value {
    let mut claims = supabase_access_token(issuer, sub, now);
    claims["is_anonymous"] = json!(true);
    claims["email"] = json!("");
    claims["app_metadata"] = json!({});
    claims["user_metadata"] = json!({});
    claims["amr"] = json!([{"method": "anonymous", "timestamp": now.saturating_sub(10)}]);
    claims
}

/// A legacy Supabase `anon` API key's claims (negative fixture): `iss: "supabase"`,
/// `role: "anon"`, `ref`, **no `sub`**, expiring about ten years out. Real ones are HS256 with
/// header `{"alg":"HS256","typ":"JWT"}` and must never map to a user.
pub fn supabase_legacy_anon_key(now: u64) -> Value {
    json!({
        "iss": "supabase",
        "ref": SUPABASE_PROJECT_REF,
        "role": "anon",
        "iat": now,
        "exp": now + 315_360_000,
    })
}

/// Supabase's header: `{"alg", "kid", "typ": "JWT"}` (ES256 or RS256, `kid` a UUID in
/// production).
pub fn supabase_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "kid": key.kid(), "typ": "JWT"})
}

/// A WorkOS AuthKit session access token:
///
/// - **no `aud`**; 5 min lifetime, no `nbf`;
/// - `sid` (`session_...`), `jti` (ULID), `org_id`, `role`, `roles`, `permissions`,
///   `entitlements`; no email.
///
/// WorkOS subjects look like `user_01K2MA1B2C3D4E5F6G7H8J9K0M`; current issuers are
/// `https://api.workos.com/user_management/<client_id>`.
pub fn workos_access_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "sub": sub,
        "sid": format!("session_{}", ulid()),
        "jti": ulid(),
        "org_id": "org_01K2M7N8P9Q0R1S2T3V4W5X6Y7",
        "role": "member",
        "roles": ["member"],
        "permissions": ["threads:read", "threads:write"],
        "entitlements": ["audit-logs"],
        "iat": now,
        "exp": now + 300,
    })
}

/// WorkOS's header: `{"alg", "kid"}`, **no `typ`** (RS256 in production).
pub fn workos_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "kid": key.kid()})
}

/// A Better Auth JWT-plugin token with the default payload, the whole user row:
///
/// - `aud` equals `iss` (the app's base URL origin); 15 min lifetime, no `nbf`, no `jti`;
/// - `id` (= `sub`), `name`, `email`, `emailVerified`, `image: null`, `createdAt`,
///   `updatedAt` (ISO 8601 strings).
pub fn better_auth_jwt(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "iat": now,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "emailVerified": true,
        "image": null,
        "createdAt": "2025-12-20T11:04:41.437Z",
        "updatedAt": "2025-12-20T11:04:41.437Z",
        "id": sub,
        "sub": sub,
        "exp": now + 900,
        "iss": issuer,
        "aud": issuer,
    })
}

/// Better Auth's header: `{"alg", "kid"}`, **no `typ`** (EdDSA/Ed25519 by default).
pub fn better_auth_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "kid": key.kid()})
}

/// A Neon Auth token (managed Better Auth): the Better Auth user row plus
/// `role: "authenticated"`, `banned: false`, `banReason: null`, `banExpires: null`;
/// `emailVerified: false`; `aud` equals `iss` (the Neon Auth URL's origin); 15 min lifetime.
///
/// Neon Auth subjects are UUIDs. Its header is Better Auth's ([`better_auth_header`], EdDSA).
pub fn neon_auth_jwt(issuer: &str, sub: &str, now: u64) -> Value {
    let mut claims = better_auth_jwt(issuer, sub, now);
    claims["emailVerified"] = json!(false);
    claims["role"] = json!("authenticated");
    claims["banned"] = json!(false);
    claims["banReason"] = Value::Null;
    claims["banExpires"] = Value::Null;
    claims
}

/// A Google ID token as Auth.js receives it:
///
/// - `aud` and `azp` are the OAuth client id ([`GOOGLE_CLIENT_ID`]);
/// - `email`, `email_verified: true`, `hd` (Workspace domain), `at_hash`, `name`,
///   `given_name`, `family_name`, `picture`;
/// - 1 h lifetime, no `nbf`, no `jti`.
///
/// Google's issuer is `https://accounts.google.com` or, legacy, `accounts.google.com`; subjects
/// are numeric strings such as `108234567890123456789`.
pub fn google_id_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "azp": GOOGLE_CLIENT_ID,
        "aud": GOOGLE_CLIENT_ID,
        "sub": sub,
        "hd": "acme.example",
        "email": "ada@acme.example",
        "email_verified": true,
        "at_hash": b64url(random_bytes(16)),
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocExample=s96-c",
        "iat": now,
        "exp": now + 3600,
    })
}

/// Google's header: `{"alg", "kid", "typ": "JWT"}` (RS256, 40-hex-digit `kid` in production).
pub fn google_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "kid": key.kid(), "typ": "JWT"})
}

/// The directory (tenant) id the Entra templates' examples use.
pub const ENTRA_TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// The application (client) id [`entra_id_token`] and [`entra_access_token`] put in `aud`.
pub const ENTRA_CLIENT_ID: &str = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
/// The single-page app that requested [`entra_access_token`] (its `azp`).
pub const ENTRA_SPA_CLIENT_ID: &str = "a1b2c3d4-0000-4c5b-9e8f-0123456789ab";
/// The user's object id (`oid`) in the Entra templates: one per user and tenant, the same in
/// every application's tokens.
pub const ENTRA_OID: &str = "00000000-0000-0000-66f3-3332eca7ea81";

/// A Microsoft Entra ID v2.0 ID token for the app [`ENTRA_CLIENT_ID`], signed in through
/// `<instance>/<tenant>` (`instance` like `https://login.microsoftonline.com`):
///
/// - `iss` is `<instance>/<tenant>/v2.0` and `tid` the tenant; `ver: "2.0"`;
/// - `aud` is the client id; `oid` ([`ENTRA_OID`]), `preferred_username`, `name`, `email`
///   (with the `email` scope), `nonce`, `sid`, and Entra's opaque `aio`, `rh`, `uti`;
/// - 1 h lifetime, `nbf = iat`.
///
/// Entra subjects are pairwise: 43 base64url characters, different per application.
pub fn entra_id_token(instance: &str, tenant: &str, sub: &str, now: u64) -> Value {
    json!({
        "aud": ENTRA_CLIENT_ID,
        "iss": format!("{instance}/{tenant}/v2.0"),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "aio": b64url(random_bytes(48)),
        "email": "ada@contoso.example",
        "name": "Ada Lovelace",
        "nonce": hex(&random_bytes(16)),
        "oid": ENTRA_OID,
        "preferred_username": "ada@contoso.example",
        "rh": format!("0.{}.", b64url(random_bytes(40))),
        "sid": uuid(),
        "sub": sub,
        "tid": tenant,
        "uti": b64url(random_bytes(16)),
        "ver": "2.0",
    })
}

/// A Microsoft Entra ID v2.0 access token for the API [`ENTRA_CLIENT_ID`] (the app manifest
/// sets `accessTokenAcceptedVersion: 2`), requested by the single-page app
/// [`ENTRA_SPA_CLIENT_ID`] with the scope `api://<client id>/access_as_user`:
///
/// - `iss` `<instance>/<tenant>/v2.0`, `tid`, `ver: "2.0"`, `aud` the API's client id;
/// - `azp` (the requesting app), `azpacr`, `scp: "access_as_user"` (space-delimited), `roles`
///   (the app roles assigned to the user), `oid`, `preferred_username`, `name`, no email;
/// - 75 min lifetime (Entra picks 60 to 90), `nbf = iat`.
pub fn entra_access_token(instance: &str, tenant: &str, sub: &str, now: u64) -> Value {
    let mut claims = entra_id_token(instance, tenant, sub, now);
    if let Value::Object(map) = &mut claims {
        map.remove("email");
        map.remove("nonce");
        map.insert("exp".into(), json!(now + 4500));
        map.insert("azp".into(), json!(ENTRA_SPA_CLIENT_ID));
        map.insert("azpacr".into(), json!("0"));
        map.insert("roles".into(), json!(["Threads.Admin"]));
        map.insert("scp".into(), json!("access_as_user"));
    }
    claims
}

/// A Microsoft Graph access token (negative fixture), as an app receives it when it asks for
/// `User.Read`: the v1.0 shape (`iss` `https://sts.windows.net/<tenant>/`, `ver: "1.0"`),
/// `aud` Graph's application id `00000003-0000-0000-c000-000000000000`, `appid`, `scp`,
/// `upn`. Sign it with [`entra_graph_header`]: Graph's tokens carry a `nonce` in the header,
/// which makes their signature unverifiable by anyone but Graph.
pub fn entra_graph_access_token(tenant: &str, sub: &str, now: u64) -> Value {
    json!({
        "aud": "00000003-0000-0000-c000-000000000000",
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now,
        "nbf": now,
        "exp": now + 4500,
        "app_displayname": "Acme Threads",
        "appid": ENTRA_SPA_CLIENT_ID,
        "idtyp": "user",
        "name": "Ada Lovelace",
        "oid": ENTRA_OID,
        "scp": "openid profile User.Read email",
        "sub": sub,
        "tid": tenant,
        "unique_name": "ada@contoso.example",
        "upn": "ada@contoso.example",
        "uti": b64url(random_bytes(16)),
        "ver": "1.0",
    })
}

/// Entra's header: `{"typ": "JWT", "alg", "kid"}` (RS256 in production).
pub fn entra_header(key: &TestKey) -> Value {
    json!({"typ": "JWT", "alg": key.default_alg(), "kid": key.kid()})
}

/// The header of a Microsoft Graph access token: Entra's, plus the `nonce` Graph checks.
pub fn entra_graph_header(key: &TestKey) -> Value {
    let mut header = entra_header(key);
    header["nonce"] = json!(b64url(random_bytes(32)));
    header
}

/// The OAuth client id of the Okta templates (Okta's format: `0oa` and 17 more characters).
pub const OKTA_CLIENT_ID: &str = "0oa8f3kx9QzL1mN2p5d7";

/// The Okta user id of the Okta templates' user (Okta's format: `00u` and 17 more).
pub const OKTA_USER_ID: &str = "00u1a2b3c4D5e6F7g8h9";

/// An Okta ID token, from the org or a custom authorization server:
///
/// - `sub` is the Okta user id ([`OKTA_USER_ID`]'s format), `aud` the client id
///   ([`OKTA_CLIENT_ID`]);
/// - `ver: 1`, `jti` (`ID.` and 43 characters), `amr`, `idp` (the org's id), `auth_time`,
///   `at_hash`, `name`, `email`, `preferred_username`;
/// - 1 h lifetime, no `nbf`.
pub fn okta_id_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "sub": sub,
        "name": "Ada Lovelace",
        "email": "ada@acme.example",
        "ver": 1,
        "iss": issuer,
        "aud": OKTA_CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "jti": format!("ID.{}", b64url(random_bytes(32))),
        "amr": ["pwd"],
        "idp": "00o1b2c3d4E5f6G7h8i9",
        "preferred_username": "ada@acme.example",
        "auth_time": now - 30,
        "at_hash": b64url(random_bytes(16)),
    })
}

/// An Okta access token of a custom authorization server (`https://<org>.okta.com/oauth2/default`)
/// for a signed-in user:
///
/// - **`sub` is the user's login** (`ada@acme.example`), the user id is `uid` (`user_id` here);
/// - `aud` is the authorization server's audience, `api://default` for the default server;
/// - `cid` the client id ([`OKTA_CLIENT_ID`]), `scp` an array of scopes, `ver: 1`, `jti`
///   (`AT.` and 43 characters), `auth_time`;
/// - 1 h lifetime, no `nbf`. A client-credentials token has `sub` = `cid` and no `uid`.
pub fn okta_access_token(issuer: &str, user_id: &str, now: u64) -> Value {
    json!({
        "ver": 1,
        "jti": format!("AT.{}", b64url(random_bytes(32))),
        "iss": issuer,
        "aud": "api://default",
        "iat": now,
        "exp": now + 3600,
        "cid": OKTA_CLIENT_ID,
        "uid": user_id,
        "scp": ["openid", "profile", "email", "threads:read"],
        "auth_time": now - 30,
        "sub": "ada@acme.example",
    })
}

/// Okta's header: `{"kid", "alg": "RS256"}`, no `typ` (RFC 9068 access tokens add
/// `"typ": "at+jwt"`: set it on the returned value).
pub fn okta_header(key: &TestKey) -> Value {
    json!({"kid": key.kid(), "alg": key.default_alg()})
}

/// The client id of the Keycloak templates' frontend (a public client): the `azp` of its
/// tokens and the `aud` of its ID tokens.
pub const KEYCLOAK_CLIENT_ID: &str = "threads-web";

/// The client id of the API that an audience mapper adds to the `aud` of
/// [`keycloak_access_token`], and whose client roles it carries.
pub const KEYCLOAK_API_CLIENT_ID: &str = "threads-api";

/// The Keycloak user id of the Keycloak templates' user: `sub`, a UUID.
pub const KEYCLOAK_USER_ID: &str = "3f6c1a52-8d4e-4b7a-9c21-6e0d5a7b9f14";

/// A Keycloak access token of a realm (`https://<host>/realms/<realm>`) for a signed-in user,
/// issued to the frontend client [`KEYCLOAK_CLIENT_ID`]:
///
/// - `typ: "Bearer"` (the claim; the header's `typ` is `JWT`), `sub` the user id (a UUID),
///   `azp` the client, `sid` (the SSO session), `acr`, `allowed-origins`, `jti` (a UUID);
/// - `aud` is `[KEYCLOAK_API_CLIENT_ID, "account"]`: an audience mapper adds the API, and
///   `account` is there by default (without the mapper, `aud` is `"account"` alone);
/// - `realm_access.roles` (`default-roles-acme`, `offline_access`, `uma_authorization`,
///   `editor`), `resource_access` with the API's client role `writer` and the `account`
///   client's roles;
/// - `scope` space-delimited (`openid profile email`), the profile and email claims
///   (`preferred_username` `ada`);
/// - 5 min lifetime (Keycloak's default access token lifespan), no `nbf`.
pub fn keycloak_access_token(issuer: &str, sub: &str, now: u64) -> Value {
    let mut claims = keycloak_user_token(
        issuer,
        sub,
        now,
        "Bearer",
        json!([KEYCLOAK_API_CLIENT_ID, "account"]),
    );
    merge(
        &mut claims,
        json!({
            "allowed-origins": ["https://app.acme.example"],
            "realm_access": {
                "roles": ["default-roles-acme", "offline_access", "uma_authorization", "editor"],
            },
            "resource_access": {
                KEYCLOAK_API_CLIENT_ID: {"roles": ["writer"]},
                "account": {"roles": ["manage-account", "manage-account-links", "view-profile"]},
            },
            "scope": "openid profile email",
        }),
    );
    claims
}

/// A Keycloak ID token of the same realm and user: `typ: "ID"`, `aud` and `azp` the client
/// ([`KEYCLOAK_CLIENT_ID`]), `nonce`, `sid`, `at_hash`, `acr`, the profile and email claims;
/// no roles (Keycloak's role mappers write them to access tokens only); 5 min lifetime.
pub fn keycloak_id_token(issuer: &str, sub: &str, now: u64) -> Value {
    let mut claims = keycloak_user_token(issuer, sub, now, "ID", json!(KEYCLOAK_CLIENT_ID));
    merge(
        &mut claims,
        json!({"nonce": uuid(), "at_hash": b64url(random_bytes(16))}),
    );
    claims
}

/// What Keycloak's access and ID tokens of the templates' user share: 5 min lifetime,
/// `auth_time`, `jti`, `iss`, `aud`, `sub`, the `typ` claim, `azp` ([`KEYCLOAK_CLIENT_ID`]),
/// `sid`, `acr`, and the claims of the `profile` and `email` client scopes.
fn keycloak_user_token(issuer: &str, sub: &str, now: u64, typ: &str, aud: Value) -> Value {
    json!({
        "exp": now + 300,
        "iat": now,
        "auth_time": now - 30,
        "jti": uuid(),
        "iss": issuer,
        "aud": aud,
        "sub": sub,
        "typ": typ,
        "azp": KEYCLOAK_CLIENT_ID,
        "sid": uuid(),
        "acr": "1",
        "email_verified": true,
        "name": "Ada Lovelace",
        "preferred_username": "ada",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@acme.example",
    })
}

/// A Keycloak refresh token: `typ: "Refresh"` (an offline token says `Offline`), `aud` the
/// realm's issuer, `azp`, `sid`, `scope`; 30 min lifetime (the SSO session idle timeout).
/// Keycloak signs it with the realm's HMAC secret: sign it with
/// [`keycloak_refresh_header`] and [`hmac_token`](crate::jws::hmac_token).
pub fn keycloak_refresh_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "exp": now + 1800,
        "iat": now,
        "jti": uuid(),
        "iss": issuer,
        "aud": issuer,
        "sub": sub,
        "typ": "Refresh",
        "azp": KEYCLOAK_CLIENT_ID,
        "sid": uuid(),
        "scope": "openid profile email",
    })
}

/// A Keycloak access token of a service account (the client-credentials grant of the
/// confidential client `threads-worker`): `sub` is the service-account user,
/// `preferred_username` `service-account-threads-worker`, `client_id` the client (Keycloak
/// 25 and later; earlier versions write `clientId`), `clientHost`, `clientAddress`; `aud` and
/// roles as in [`keycloak_access_token`]; no email or session.
pub fn keycloak_service_account_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "exp": now + 300,
        "iat": now,
        "jti": uuid(),
        "iss": issuer,
        "aud": [KEYCLOAK_API_CLIENT_ID, "account"],
        "sub": sub,
        "typ": "Bearer",
        "azp": "threads-worker",
        "acr": "1",
        "realm_access": {"roles": ["default-roles-acme", "offline_access", "uma_authorization"]},
        "resource_access": {KEYCLOAK_API_CLIENT_ID: {"roles": ["writer"]}},
        "scope": "profile email",
        "email_verified": false,
        "preferred_username": "service-account-threads-worker",
        "client_id": "threads-worker",
        "clientHost": "10.0.0.7",
        "clientAddress": "10.0.0.7",
    })
}

/// Keycloak's header for access and ID tokens: `{"alg", "typ": "JWT", "kid"}` (a realm that
/// issues RFC 9068 access tokens writes `"typ": "at+jwt"` on them: set it on the returned
/// value).
pub fn keycloak_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "typ": "JWT", "kid": key.kid()})
}

/// Keycloak's header for refresh tokens: `{"alg": "HS512", "typ": "JWT", "kid"}`, the `kid`
/// of the realm's HMAC key (a UUID).
pub fn keycloak_refresh_header() -> Value {
    json!({"alg": "HS512", "typ": "JWT", "kid": uuid()})
}

/// The client id of the Login.gov templates: the partner portal's "Issuer", a URN.
pub const LOGIN_GOV_CLIENT_ID: &str = "urn:gov:gsa:openidconnect.profiles:sp:sso:acme:threads";

/// The Login.gov user of the Login.gov templates: `sub`, a UUID (pairwise per agency).
pub const LOGIN_GOV_USER_ID: &str = "b2d2d115-1d7e-4579-b9d6-f8e84f4f56ca";

/// A Login.gov ID token of a verified identity:
///
/// - `iss` as given (Login.gov's ends with `/`), `sub` a UUID, `aud` the client id
///   ([`LOGIN_GOV_CLIENT_ID`]);
/// - `acr` `urn:acr.login.gov:verified` (set `auth-only` or a legacy IAL URI on the returned
///   value), `nonce`, `jti`, `at_hash`, `c_hash`;
/// - no user attributes (Login.gov returns them from userinfo only);
/// - 15 min lifetime, `nbf` = `iat`.
pub fn login_gov_id_token(issuer: &str, sub: &str, now: u64) -> Value {
    json!({
        "iss": issuer,
        "sub": sub,
        "aud": LOGIN_GOV_CLIENT_ID,
        "acr": "urn:acr.login.gov:verified",
        "at_hash": b64url(random_bytes(16)),
        "c_hash": b64url(random_bytes(16)),
        "jti": b64url(random_bytes(16)),
        "nonce": b64url(random_bytes(24)),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
    })
}

/// Login.gov's header: `{"alg": "RS256", "kid"}`, no `typ`.
pub fn login_gov_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "kid": key.kid()})
}

/// The Firebase project of the Firebase templates: the `aud` of its ID tokens, and the last
/// segment of their issuer `https://securetoken.google.com/<project id>`.
pub const FIREBASE_PROJECT_ID: &str = "acme-threads";

/// The Firebase user of the Firebase templates: a uid (`sub` and `user_id`), 28 characters as
/// Firebase generates them.
pub const FIREBASE_UID: &str = "kZ3mN8pQ2vR5tW9yB1cD4fG7hJ0l";

/// The Admin SDK service account that signs [`firebase_custom_token`]: the `iss` and `sub` of
/// a custom token.
pub const FIREBASE_SERVICE_ACCOUNT: &str =
    "firebase-adminsdk-fbsvc@acme-threads.iam.gserviceaccount.com";

/// The `aud` of every Firebase custom token: the Identity Toolkit API, which alone accepts them.
pub const FIREBASE_CUSTOM_TOKEN_AUDIENCE: &str =
    "https://identitytoolkit.googleapis.com/google.identity.identitytoolkit.v1.IdentityToolkit";

/// A Firebase Authentication ID token (`await user.getIdToken()`) of a user who signed in with
/// Google, for the project `project_id`:
///
/// - `iss` `https://securetoken.google.com/<project id>`, `aud` the project id;
/// - `sub` and `user_id` the uid; `auth_time` ten minutes before `now` (the sign-in; the SDK
///   refreshes the token hourly, `auth_time` stays);
/// - `name`, `picture`, `email`, `email_verified: true`;
/// - `firebase`: `identities` (`google.com` with a Google subject, `email`) and
///   `sign_in_provider: "google.com"`; add `tenant` for an Identity Platform tenant;
/// - 1 h lifetime, no `nbf`, no `jti`.
pub fn firebase_id_token(project_id: &str, uid: &str, now: u64) -> Value {
    json!({
        "name": "Ada Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocExample=s96-c",
        "iss": format!("https://securetoken.google.com/{project_id}"),
        "aud": project_id,
        "auth_time": now - 600,
        "user_id": uid,
        "sub": uid,
        "iat": now,
        "exp": now + 3600,
        "email": "ada@acme.example",
        "email_verified": true,
        "firebase": {
            "identities": {
                "google.com": ["108234567890123456789"],
                "email": ["ada@acme.example"],
            },
            "sign_in_provider": "google.com",
        },
    })
}

/// A Firebase ID token of an anonymous user (`signInAnonymously()`): as
/// [`firebase_id_token`] without `name`, `picture` or `email`, with `provider_id: "anonymous"`,
/// `identities` empty and `sign_in_provider: "anonymous"`.
pub fn firebase_anonymous_id_token(project_id: &str, uid: &str, now: u64) -> Value {
    let mut token = firebase_id_token(project_id, uid, now);
    if let Some(claims) = token.as_object_mut() {
        for signed_in_only in ["name", "picture", "email", "email_verified"] {
            claims.remove(signed_in_only);
        }
    }
    token["provider_id"] = json!("anonymous");
    token["firebase"] = json!({"identities": {}, "sign_in_provider": "anonymous"});
    token
}

/// A Firebase session cookie (the Admin SDK's `createSessionCookie(idToken, {expiresIn})`):
/// the claims of the ID token it was made from, with `iss`
/// `https://session.firebase.google.com/<project id>` and a 5-day lifetime.
pub fn firebase_session_cookie(project_id: &str, uid: &str, now: u64) -> Value {
    let mut cookie = firebase_id_token(project_id, uid, now);
    cookie["iss"] = json!(format!("https://session.firebase.google.com/{project_id}"));
    cookie["exp"] = json!(now + 5 * 86_400);
    cookie
}

/// A Firebase custom token (the Admin SDK's `createCustomToken(uid)`), signed by the service
/// account `service_account`: `iss` and `sub` the service account, `aud`
/// [`FIREBASE_CUSTOM_TOKEN_AUDIENCE`], `uid`, 1 h lifetime. Its header has no `kid`
/// ([`firebase_custom_token_header`]).
pub fn firebase_custom_token(service_account: &str, uid: &str, now: u64) -> Value {
    json!({
        "iss": service_account,
        "sub": service_account,
        "aud": FIREBASE_CUSTOM_TOKEN_AUDIENCE,
        "iat": now,
        "exp": now + 3600,
        "uid": uid,
    })
}

/// Firebase's ID token and session cookie header: `{"alg": "RS256", "kid", "typ": "JWT"}`
/// (a 40-hex-digit `kid` in production).
pub fn firebase_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "kid": key.kid(), "typ": "JWT"})
}

/// The Admin SDK's custom token header: `{"alg": "RS256", "typ": "JWT"}`, no `kid`.
pub fn firebase_custom_token_header(key: &TestKey) -> Value {
    json!({"alg": key.default_alg(), "typ": "JWT"})
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random version-4 UUID in its canonical text form (RFC 9562 §5.4).
fn uuid() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A ULID-shaped id: 26 characters of Crockford base32, time-ordered prefix included.
fn ulid() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let time = (0..10)
        .rev()
        .map(|i| char::from(ALPHABET[((millis >> (5 * i)) & 31) as usize]));
    let random = random_bytes(16)
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]));
    time.chain(random).collect()
}

fn base62(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    random_bytes(len)
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
        .collect()
}

/// GitHub's `GET /user` answer for a signed-in user (what the `userinfo` strategy and the
/// GitHub adapter read): the numeric `id`, the renamable `login`, a `null` public email as
/// most users have, and the profile members. It carries no `sub`, `iss` or dates.
pub fn github_user(id: u64, login: &str) -> Value {
    json!({
        "login": login,
        "id": id,
        "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "html_url": format!("https://github.com/{login}"),
        "type": "User",
        "site_admin": false,
        "name": "The Octocat",
        "company": "@github",
        "email": null,
        "public_repos": 8,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2026-11-02T09:12:47Z"
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::fixtures;

    const NOW: u64 = 1_767_225_600;

    #[test]
    fn generic_claims_live_five_minutes_with_a_fresh_jti() {
        let a = claims("https://idp.example", "user-1", NOW);
        let b = claims("https://idp.example", "user-1", NOW);
        assert_eq!(a["iss"], "https://idp.example");
        assert_eq!(a["sub"], "user-1");
        assert_eq!((&a["iat"], &a["nbf"]), (&json!(NOW), &json!(NOW)));
        assert_eq!(a["exp"], NOW + 300);
        assert_eq!(a["jti"].as_str().map(str::len), Some(32));
        assert_ne!(a["jti"], b["jti"]);
        assert!(a.get("aud").is_none());
    }

    #[test]
    fn auth0_audience_is_an_array_with_userinfo() {
        let c = auth0_access_token("https://acme.us.auth0.com/", "auth0|1", NOW);
        assert_eq!(
            c["aud"],
            json!([AUTH0_API_AUDIENCE, "https://acme.us.auth0.com/userinfo"])
        );
        assert_eq!(c["exp"], NOW + 86_400);
        assert!(c.get("email").is_none());
    }

    #[test]
    fn clerk_tokens_live_sixty_seconds_without_audience() {
        let c = clerk_session_token("https://clerk.acme.example", "user_1", NOW);
        assert_eq!((&c["exp"], &c["nbf"]), (&json!(NOW + 60), &json!(NOW - 5)));
        assert!(c.get("aud").is_none());
        assert_eq!(c["v"], 2);
        assert!(c["sid"].as_str().is_some_and(|s| s.starts_with("sess_")));
        let pending = clerk_pending_session_token("https://clerk.acme.example", "user_1", NOW);
        assert_eq!(pending["sts"], "pending");
        assert!(pending.get("o").is_none());
        assert_eq!(clerk_header(&fixtures().rsa)["cat"], "cl_B7d4PD111AAA");
    }

    #[test]
    fn supabase_audience_is_the_string_authenticated() {
        let c = supabase_access_token("https://x.supabase.co/auth/v1", "u", NOW);
        assert_eq!(c["aud"], "authenticated");
        assert_eq!(c["is_anonymous"], false);
        let session = c["session_id"].as_str().expect("session_id");
        assert_eq!(session.len(), 36);
        assert_eq!(&session[14..15], "4");
        let anon = supabase_anonymous_token("https://x.supabase.co/auth/v1", "u", NOW);
        assert_eq!(anon["is_anonymous"], true);
        assert_eq!(anon["amr"][0]["method"], "anonymous");
        let key = supabase_legacy_anon_key(NOW);
        assert!(key.get("sub").is_none());
        assert_eq!(key["role"], "anon");
    }

    #[test]
    fn workos_better_auth_and_neon_shapes() {
        let w = workos_access_token("https://api.workos.com/user_management/client_1", "u", NOW);
        assert!(w.get("aud").is_none());
        assert_eq!(w["exp"], NOW + 300);
        assert_eq!(w["jti"].as_str().map(str::len), Some(26));
        assert!(workos_header(&fixtures().rsa).get("typ").is_none());

        let b = better_auth_jwt("https://app.acme.example", "abc", NOW);
        assert_eq!((&b["aud"], &b["id"]), (&b["iss"], &b["sub"]));
        assert_eq!(b["exp"], NOW + 900);
        assert_eq!(better_auth_header(&fixtures().ed)["alg"], "EdDSA");

        let n = neon_auth_jwt("https://ep-x.neonauth.example", "abc", NOW);
        assert_eq!(n["role"], "authenticated");
        assert_eq!(n["banned"], false);
    }

    #[test]
    fn google_audience_is_the_client_id() {
        let g = google_id_token("https://accounts.google.com", "1082", NOW);
        assert_eq!(
            (&g["aud"], &g["azp"]),
            (&json!(GOOGLE_CLIENT_ID), &json!(GOOGLE_CLIENT_ID))
        );
        assert_eq!(g["email_verified"], true);
        assert_eq!(g["exp"], NOW + 3600);
    }

    #[test]
    fn firebase_tokens_name_the_project_and_carry_the_uid_twice() {
        let id = firebase_id_token(FIREBASE_PROJECT_ID, FIREBASE_UID, NOW);
        assert_eq!(id["iss"], "https://securetoken.google.com/acme-threads");
        assert_eq!(id["aud"], FIREBASE_PROJECT_ID);
        assert_eq!(
            (&id["sub"], &id["user_id"]),
            (&json!(FIREBASE_UID), &json!(FIREBASE_UID))
        );
        assert_eq!(id["exp"], NOW + 3600);
        assert!(id["auth_time"].as_u64() < id["iat"].as_u64());
        assert_eq!(id["firebase"]["sign_in_provider"], "google.com");
        let anonymous = firebase_anonymous_id_token(FIREBASE_PROJECT_ID, FIREBASE_UID, NOW);
        assert_eq!(anonymous["firebase"]["sign_in_provider"], "anonymous");
        assert!(anonymous.get("email").is_none());
        let cookie = firebase_session_cookie(FIREBASE_PROJECT_ID, FIREBASE_UID, NOW);
        assert_eq!(
            cookie["iss"],
            "https://session.firebase.google.com/acme-threads"
        );
        let custom = firebase_custom_token(FIREBASE_SERVICE_ACCOUNT, FIREBASE_UID, NOW);
        assert_eq!(
            (&custom["iss"], &custom["sub"]),
            (
                &json!(FIREBASE_SERVICE_ACCOUNT),
                &json!(FIREBASE_SERVICE_ACCOUNT)
            )
        );
        assert_eq!(custom["aud"], FIREBASE_CUSTOM_TOKEN_AUDIENCE);
        assert!(
            firebase_custom_token_header(&fixtures().rsa)
                .get("kid")
                .is_none()
        );
    }

    #[test]
    fn now_is_after_2025() {
        assert!(now() > NOW - 31_536_000);
    }
}
