-- Threads and messages, scoped by project and context key; token revocations; the Tambo token
-- key ring. Thread and message times are microseconds since the Unix epoch (they order lists and
-- make cursors); revocation and key times are seconds (JWT NumericDate).
--
-- Never edit a shipped migration: its checksum is recorded where it was applied. Add a new file.

CREATE TABLE threads (
    project     TEXT    NOT NULL,
    context_key TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    name        TEXT,
    metadata    TEXT,             -- JSON
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (project, context_key, id)
) STRICT, WITHOUT ROWID;

CREATE INDEX threads_by_creation ON threads (project, context_key, created_at, id);

CREATE TABLE messages (
    project     TEXT    NOT NULL,
    context_key TEXT    NOT NULL,
    thread_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content     TEXT    NOT NULL, -- JSON array of content parts
    metadata    TEXT,             -- JSON
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (project, context_key, thread_id, id),
    -- The owner is part of the key: a message can only belong to a thread of the same user.
    FOREIGN KEY (project, context_key, thread_id)
        REFERENCES threads (project, context_key, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX messages_by_creation ON messages (project, context_key, thread_id, created_at, id);

CREATE TABLE revoked_tokens (
    jti        TEXT    NOT NULL PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE revoked_users (
    project        TEXT    NOT NULL,
    context_key    TEXT    NOT NULL,
    revoked_before INTEGER NOT NULL,
    PRIMARY KEY (project, context_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE signing_keys (
    kid         TEXT    NOT NULL PRIMARY KEY,
    alg         TEXT    NOT NULL,
    private_pem TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    retire_at   INTEGER
) STRICT, WITHOUT ROWID;

-- At most one key signs at a time.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (active) WHERE active = 1;
