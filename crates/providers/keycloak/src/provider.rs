//! [`KeycloakProvider`] and its builder: the realm's issuer, discovery, the algorithms, the
//! audiences and authorized parties, the token kinds Keycloak signs, and roles as scopes.

use serde::Deserialize;
use tambo_auth::jwt::{Claims, ConfiguredAlgorithms, Jws};
use tambo_auth::provider::{check_names, origin, require_listed, standard_scopes};
use tambo_auth::{
    Algorithm, Error, Hints, Provider, ProviderOptions, TamboUser, VerifiedToken, Verifier,
};

use crate::KeycloakClaims;

const NAME: &str = "keycloak";

/// What a refresh token is, and which token to send instead.
const REFRESH_HINT: &str = "this is a Keycloak refresh token (`typ` claim `Refresh` or `Offline`), signed with the realm's own secret for Keycloak alone; send the access token (`keycloak.token` in keycloak-js) or the ID token (`keycloak.idToken`)";

/// The algorithms Keycloak realms sign access and ID tokens with that this provider accepts.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::RS256, Algorithm::PS256, Algorithm::ES256];

/// Verifies the access and ID tokens of one Keycloak realm and maps them to users. Build it
/// with [`KeycloakProvider::builder`].
#[derive(Debug, Clone)]
pub struct KeycloakProvider {
    verifier: Verifier,
    authorized_parties: Vec<String>,
    role_clients: Vec<String>,
}

impl KeycloakProvider {
    /// Starts a provider for the realm whose issuer is `issuer`:
    /// `https://<host>/realms/<realm>` (Keycloak 17 and later) or
    /// `https://<host>/auth/realms/<realm>` (earlier versions, and servers started with
    /// `--http-relative-path=/auth`).
    pub fn builder(issuer: impl Into<String>) -> KeycloakProviderBuilder {
        KeycloakProviderBuilder {
            issuer: issuer.into(),
            audiences: Vec::new(),
            authorized_parties: Vec::new(),
            role_clients: None,
            algorithms: default_algorithms(),
            options: ProviderOptions::default(),
        }
    }

    /// The clients whose client roles are held scopes, named `<client>:<role>`.
    pub fn role_clients(&self) -> &[String] {
        &self.role_clients
    }
}

impl Provider for KeycloakProvider {
    fn name(&self) -> &str {
        NAME
    }

    fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Refuses refresh tokens before their algorithm is judged: Keycloak signs them with the
    /// realm's HMAC secret, which no algorithm policy here allows, and "algorithm not
    /// allowed" would not tell the integrator which token to send.
    fn precheck(&self, jws: &Jws<'_>) -> Result<(), Error> {
        match jws.claims()?.get_str("typ") {
            Some("Refresh" | "Offline") => Err(Error::rejected(NAME, REFRESH_HINT)),
            _ => Ok(()),
        }
    }

    /// Accepts access and ID tokens of users: `typ` `Bearer` or `ID`, no service account,
    /// `azp` one of the authorized parties when they are configured. The user is `sub`, in
    /// the realm issuer's namespace.
    fn map_claims(&self, token: &VerifiedToken) -> Result<TamboUser, Error> {
        let claims = KeycloakClaims::from_claims(token.claims());
        match claims.typ.as_deref() {
            Some("Bearer" | "ID") => {}
            Some("DPoP") => {
                return Err(Error::rejected(
                    NAME,
                    "this is a DPoP-bound access token (`typ` claim `DPoP`), good only with a proof of its key that an exchange cannot check; turn off \"Require DPoP bound tokens\" for this client, or send the ID token",
                ));
            }
            _ => {
                return Err(Error::rejected(
                    NAME,
                    "the token is neither a Keycloak access token (`typ` claim `Bearer`) nor an ID token (`typ` claim `ID`); send `keycloak.token` or `keycloak.idToken`",
                ));
            }
        }
        if claims.is_service_account() {
            return Err(Error::rejected(
                NAME,
                "this is a service account's token (client credentials: `preferred_username` service-account-…, a `client_id`), which speaks for a client and no user; send a token obtained by a signed-in user",
            ));
        }
        require_listed(
            NAME,
            &self.authorized_parties,
            claims.azp.as_deref(),
            |azp| {
                format!(
                    "the token was requested by the client (`azp`) {azp:?}, which is not in `authorized_parties`; add that client id, or sign in through a listed client"
                )
            },
            "the token names no client (`azp`) and `authorized_parties` is configured; send a token requested through a listed client",
        )?;
        token.user(NAME)
    }

    /// The standard scopes (`scope`, space-delimited in Keycloak's tokens), the realm roles
    /// (`realm_access.roles`) as they are, and the client roles of each of
    /// [`role_clients`](KeycloakProvider::role_clients) (`resource_access.<client>.roles`)
    /// as `<client>:<role>`.
    fn held_scopes(&self, claims: &Claims) -> Vec<String> {
        let keycloak = KeycloakClaims::from_claims(claims);
        let mut scopes = standard_scopes(claims);
        scopes.extend(keycloak.realm_roles);
        for client in &self.role_clients {
            if let Some(roles) = keycloak.resource_access.get(client) {
                scopes.extend(roles.iter().map(|role| format!("{client}:{role}")));
            }
        }
        scopes
    }

    fn hints(&self) -> Hints {
        Hints::new(
            Some(
                "this is not a JWT, and every token Keycloak signs for a user is one: an authorization code or a client secret cannot be verified here; send the access token (`keycloak.token` in keycloak-js) or the ID token (`keycloak.idToken`)",
            ),
            Some(
                "this is an encrypted token (JWE): the client has ID token encryption on (Client → Advanced → \"ID token encryption key management algorithm\"); turn it off, decrypt the token in your app and send the signed token inside, or send the access token",
            ),
        )
    }
}

/// Configures a [`KeycloakProvider`]; [`build`](Self::build) checks every setting.
///
/// It is also the `[projects.provider]` table of a configuration file (`kind = "keycloak"`),
/// one key per setting, unknown keys refused:
///
/// ```toml
/// [projects.provider]
/// kind = "keycloak"
/// issuer = "https://sso.acme.com/realms/acme"   # or https://sso.acme.com/auth/realms/acme
/// audiences = ["threads-api", "threads-web"]    # audience-mapper client and/or client id
/// # authorized_parties = ["threads-web"]        # `azp` must be one of these
/// # role_clients = ["threads-api"]              # client roles as scopes (default: the
/// #                                             # audiences and authorized parties)
/// # algorithms = ["RS256"]                      # RS256 (default), PS256, ES256
/// ```
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tambo_auth_keycloak::KeycloakProviderBuilder;
///
/// let builder: KeycloakProviderBuilder = serde_json::from_value(serde_json::json!({
///     "issuer": "https://sso.acme.com/realms/acme",
///     "audiences": ["threads-api"],
///     "authorized_parties": ["threads-web"],
/// }))?;
/// let provider = builder.build()?;
/// assert_eq!(provider.role_clients(), ["threads-api", "threads-web"]);
/// # Ok(()) }
/// ```
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[must_use]
pub struct KeycloakProviderBuilder {
    issuer: String,
    // Not required by serde: `build` refuses a missing list naming the field and the fix.
    #[serde(default)]
    audiences: Vec<String>,
    #[serde(default)]
    authorized_parties: Vec<String>,
    #[serde(default)]
    role_clients: Option<Vec<String>>,
    #[serde(default = "default_algorithms")]
    algorithms: ConfiguredAlgorithms,
    #[serde(skip)]
    options: ProviderOptions,
}

fn default_algorithms() -> ConfiguredAlgorithms {
    ConfiguredAlgorithms::new([Algorithm::RS256])
}

impl KeycloakProviderBuilder {
    /// Accepts tokens whose `aud` holds `audience`, or another one given here (at least
    /// one): for access tokens, the client id an audience mapper adds (Keycloak writes
    /// `account` alone without one); for ID tokens, your client's id.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Requires `azp`, the client that requested the token, to be this client id or another
    /// one given here. Default: any client of the realm.
    pub fn authorized_party(mut self, client_id: impl Into<String>) -> Self {
        self.authorized_parties.push(client_id.into());
        self
    }

    /// The clients whose client roles (`resource_access.<client>.roles`) the user holds as
    /// scopes, named `<client>:<role>`; an empty list holds none. Default: the
    /// [audiences](Self::audience) and [authorized parties](Self::authorized_party).
    pub fn role_clients<I, S>(mut self, clients: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.role_clients = Some(clients.into_iter().map(Into::into).collect());
        self
    }

    /// The accepted algorithms (default RS256): those of the realm's active signing keys
    /// (Realm settings → Keys), among RS256, PS256 and ES256.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = ConfiguredAlgorithms::new(algorithms);
        self
    }

    /// What the deployment decides rather than the realm: the profile, the clock, and
    /// whether a realm on plain http at a loopback address is allowed (a local Keycloak, the
    /// testkit).
    pub fn options(mut self, options: ProviderOptions) -> Self {
        self.options = options;
        self
    }

    /// Checks the settings and builds the provider. Does no network I/O.
    pub fn build(self) -> Result<KeycloakProvider, Error> {
        let issuer = issuer(&self.issuer, self.options.allow_loopback_http)?;
        if self.audiences.is_empty() {
            return Err(Error::config(
                "audiences",
                "at least one audience is required: Keycloak's access tokens carry `aud` `account` unless the client has an audience mapper (Client scopes → <client>-dedicated → Add mapper → Audience) adding your API's client id, which goes here; an ID token's `aud` is your client's id",
            ));
        }
        let role_clients = self.role_clients.unwrap_or_else(|| {
            let mut clients: Vec<String> = Vec::new();
            for id in self.audiences.iter().chain(&self.authorized_parties) {
                if !clients.contains(id) {
                    clients.push(id.clone());
                }
            }
            clients
        });
        for (field, ids) in [
            ("audiences", &self.audiences),
            ("authorized_parties", &self.authorized_parties),
            ("role_clients", &role_clients),
        ] {
            check_names(field, ids, "a client id")?;
        }
        let algorithms = self.algorithms.check(
            &ALGORITHMS,
            "list the algorithms of the realm's active signing keys (Realm settings → Keys); the realm's HS256/HS512 secret signs refresh tokens, which are refused",
        )?;
        let verifier = Verifier::builder(issuer)
            .oidc_discovery()
            .options(&self.options)
            .algorithms(algorithms)
            .audiences(self.audiences)
            .build()?;
        Ok(KeycloakProvider {
            verifier,
            authorized_parties: self.authorized_parties,
            role_clients,
        })
    }
}

/// The issuer of a Keycloak realm: an origin, then `/realms/<realm>`, or `/auth/realms/<realm>`
/// on servers before Keycloak 17 (or started with `--http-relative-path=/auth`).
fn issuer(input: &str, allow_loopback_http: bool) -> Result<String, Error> {
    const EXAMPLE: &str = "https://sso.acme.com/realms/acme";
    let refuse = |what: &str| {
        Error::config(
            "issuer",
            format!(
                "{input:?} is not a realm's issuer: {what}; it is `https://<host>/realms/<realm>` (Keycloak 17 and later) or `https://<host>/auth/realms/<realm>` (earlier versions), as the realm's discovery document names it; for example `{EXAMPLE}`"
            ),
        )
    };
    let Some((before, realm)) = input.split_once("/realms/") else {
        return Err(refuse("it has no `/realms/<realm>`"));
    };
    let (host, prefix) = match before.strip_suffix("/auth") {
        Some(host) => (host, "/auth"),
        None => (before, ""),
    };
    if host
        .split_once("://")
        .map_or(host, |(_, rest)| rest)
        .contains('/')
    {
        return Err(refuse(
            "Keycloak serves realms at `/realms/` or `/auth/realms/`, not under another path",
        ));
    }
    let base = origin(host, "issuer", EXAMPLE, allow_loopback_http)?;
    if realm.contains("/protocol/") || realm.contains("/.well-known") {
        return Err(refuse(
            "it names an endpoint of the realm (`/protocol/openid-connect/…`, `/.well-known/…`); give the realm's issuer alone",
        ));
    }
    if let Some(name) = realm.strip_suffix('/')
        && !name.is_empty()
        && !name.contains('/')
    {
        return Err(refuse(
            "it ends in a slash, and the issuer has no trailing slash",
        ));
    }
    if realm.is_empty()
        || realm
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#') || c.is_whitespace())
    {
        return Err(refuse(
            "the realm's name is missing or not one path segment",
        ));
    }
    Ok(format!("{base}{prefix}/realms/{realm}"))
}

#[cfg(test)]
mod tests {
    use super::issuer;

    #[test]
    fn realm_issuers_keep_their_path_and_lose_a_default_port() {
        for (input, expected) in [
            (
                "https://sso.acme.com/realms/acme",
                "https://sso.acme.com/realms/acme",
            ),
            (
                "https://SSO.acme.com:443/auth/realms/Acme",
                "https://sso.acme.com/auth/realms/Acme",
            ),
            (
                "http://127.0.0.1:8080/realms/acme",
                "http://127.0.0.1:8080/realms/acme",
            ),
        ] {
            assert_eq!(issuer(input, true).expect(input), expected);
        }
    }

    #[test]
    fn other_paths_and_realm_names_are_refused() {
        for input in [
            "https://sso.acme.com",
            "https://sso.acme.com/realms/",
            "https://sso.acme.com/kc/realms/acme",
            "https://sso.acme.com/realms/acme/account",
            "https://sso.acme.com/realms/acme?x=1",
            "https://sso.acme.com/realms/ac me",
        ] {
            let error = issuer(input, false).expect_err(input);
            assert!(
                matches!(&error, tambo_auth::Error::Configuration { field, .. } if field == "issuer"),
                "{input}: {error}"
            );
        }
    }
}
