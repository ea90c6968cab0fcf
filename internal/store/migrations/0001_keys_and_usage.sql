-- Virtual API keys, the revision counter replicas poll, and the usage
-- ledger. One text for SQLite and PostgreSQL: BIGINT and TEXT mean the same
-- in both; times are Unix milliseconds, 0 for "never"; @ROWID@ is replaced
-- by each dialect's auto-increment primary key (see migrate.go).

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Every key write takes the next value of this row in its own transaction.
-- The row lock serialises key writers, so revisions commit in order and a
-- replica that has seen revision N has seen every revision below it.
INSERT INTO counters (name, value) VALUES ('keys', 0);

CREATE TABLE api_keys (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    owner             TEXT NOT NULL DEFAULT '',
    team              TEXT NOT NULL DEFAULT '',
    hash_hex          TEXT NOT NULL,
    hint              TEXT NOT NULL DEFAULT '',
    models_json       TEXT NOT NULL DEFAULT '[]',
    rpm               BIGINT NOT NULL DEFAULT 0,
    tpm               BIGINT NOT NULL DEFAULT 0,
    concurrency       BIGINT NOT NULL DEFAULT 0,
    budget_nano       BIGINT NOT NULL DEFAULT 0,
    budget_period     TEXT NOT NULL DEFAULT '',
    budget_reset_ms   BIGINT NOT NULL DEFAULT 0,
    expires_ms        BIGINT NOT NULL DEFAULT 0,
    revoked_ms        BIGINT NOT NULL DEFAULT 0,
    metadata_json     TEXT NOT NULL DEFAULT '{}',
    guardrail_id      TEXT NOT NULL DEFAULT '',
    guardrail_version TEXT NOT NULL DEFAULT '',
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL,
    revision          BIGINT NOT NULL
);

CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash_hex);
CREATE UNIQUE INDEX api_keys_name ON api_keys (name);
-- Unique as well as fast: each write has a revision of its own.
CREATE UNIQUE INDEX api_keys_revision ON api_keys (revision);

-- No foreign key to api_keys: the ledger outlives keys, and key_id is ''
-- for requests made without one.
CREATE TABLE usage (
    id                 @ROWID@,
    time_ms            BIGINT NOT NULL,
    request_id         TEXT NOT NULL DEFAULT '',
    key_id             TEXT NOT NULL DEFAULT '',
    model              TEXT NOT NULL DEFAULT '',
    deployment         TEXT NOT NULL DEFAULT '',
    route              TEXT NOT NULL DEFAULT '',
    status             INTEGER NOT NULL DEFAULT 0,
    stream             INTEGER NOT NULL DEFAULT 0,
    input_tokens       BIGINT NOT NULL DEFAULT 0,
    output_tokens      BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT NOT NULL DEFAULT 0,
    cost_nano          BIGINT NOT NULL DEFAULT 0,
    latency_us         BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX usage_key_time ON usage (key_id, time_ms);
