-- Projects managed at run time through the admin API: their verification settings, API keys
-- and an audit trail. Times are seconds since the Unix epoch.
--
-- `settings` is the JSON of `[projects.verification]` and `[projects.provider]` (the names of
-- the configuration file) with every secret removed; the secrets are in `secrets`, an AEAD
-- ciphertext under TAMBO_AUTH_SECRET_KEY. API keys are kept as SHA-256 digests only.

CREATE TABLE projects (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    settings   TEXT    NOT NULL,   -- JSON {"verification"?: {…}, "provider"?: {…}}, no secret
    secrets    TEXT,               -- key id ":" base64(nonce ‖ AES-256-GCM ciphertext of a JSON object)
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
    id           TEXT    NOT NULL PRIMARY KEY,
    project      TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    digest       TEXT    NOT NULL UNIQUE,  -- hex SHA-256 of the key
    prefix       TEXT    NOT NULL,         -- its first characters, to tell keys apart
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX api_keys_by_project ON api_keys (project, created_at, id);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    project TEXT,
    detail  TEXT    NOT NULL              -- JSON; never a secret or an API key
) STRICT;
