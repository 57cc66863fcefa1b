-- Threads and messages, scoped by project and context key; token revocations; the Tambo token
-- key ring. Thread and message times are microseconds since the Unix epoch (they order lists and
-- make cursors); revocation and key times are seconds (JWT NumericDate).
--
-- Identifiers compare bytewise (COLLATE "C"), as in SQLite, so cursor order is the same on both.
-- Never edit a shipped migration: its checksum is recorded where it was applied. Add a new file.

CREATE TABLE threads (
    project     TEXT COLLATE "C" NOT NULL,
    context_key TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    name        TEXT,
    metadata    TEXT,             -- JSON
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project, context_key, id)
);

CREATE INDEX threads_by_creation ON threads (project, context_key, created_at, id);

CREATE TABLE messages (
    project     TEXT COLLATE "C" NOT NULL,
    context_key TEXT COLLATE "C" NOT NULL,
    thread_id   TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content     TEXT NOT NULL,    -- JSON array of content parts
    metadata    TEXT,             -- JSON
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (project, context_key, thread_id, id),
    -- The owner is part of the key: a message can only belong to a thread of the same user.
    FOREIGN KEY (project, context_key, thread_id)
        REFERENCES threads (project, context_key, id) ON DELETE CASCADE
);

CREATE INDEX messages_by_creation ON messages (project, context_key, thread_id, created_at, id);

CREATE TABLE revoked_tokens (
    jti        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE revoked_users (
    project        TEXT COLLATE "C" NOT NULL,
    context_key    TEXT COLLATE "C" NOT NULL,
    revoked_before BIGINT NOT NULL,
    PRIMARY KEY (project, context_key)
);

CREATE TABLE signing_keys (
    kid         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    active      BOOLEAN NOT NULL,
    retire_at   BIGINT
);

-- At most one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active;
