-- Projects managed at run time through the admin API: their verification settings, API keys
-- and an audit trail. Times are seconds since the Unix epoch.
--
-- `settings` is the JSON of `[projects.verification]` and `[projects.provider]` (the names of
-- the configuration file) with every secret removed; the secrets are in `secrets`, an AEAD
-- ciphertext under TAMBO_AUTH_SECRET_KEY. API keys are kept as SHA-256 digests only.

CREATE TABLE projects (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL,   -- JSON {"verification"?: {…}, "provider"?: {…}}, no secret
    secrets    TEXT,            -- key id ":" base64(nonce ‖ AES-256-GCM ciphertext of a JSON object)
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    project      TEXT COLLATE "C" NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    digest       TEXT NOT NULL UNIQUE,  -- hex SHA-256 of the key
    prefix       TEXT NOT NULL,         -- its first characters, to tell keys apart
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT
);

CREATE INDEX api_keys_by_project ON api_keys (project, created_at, id);

CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    project TEXT COLLATE "C",
    detail  TEXT NOT NULL              -- JSON; never a secret or an API key
);
