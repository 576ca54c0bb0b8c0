-- The first schema of the casualty store in PostgreSQL, with the tables, columns and checks of
-- the SQLite schema in `migrations/0001_create_tables.sql`.
--
-- Every *_at column is a time in Unix milliseconds (UTC), given by the service as `now`.
-- Integers are BIGINT, so that every count and time reads back as a 64-bit integer as in SQLite.
-- Ids are UUIDs in hyphenated lowercase text. JSON documents are stored as text, unchanged.
-- An applied migration must never change (sqlx checks its checksum at start-up): change the
-- schema with a new file.

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('operator', 'user', 'demo')),
    -- SHA-256 of the secret's UTF-8 bytes; the secret itself is never stored.
    secret_sha256 BYTEA NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    display_prefix TEXT NOT NULL,
    patients_per_request BIGINT CHECK (patients_per_request > 0),
    per_minute BIGINT CHECK (per_minute > 0),
    per_hour BIGINT CHECK (per_hour > 0),
    per_day BIGINT CHECK (per_day > 0),
    expires_at BIGINT,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    rotated_at BIGINT,
    requests_total BIGINT NOT NULL DEFAULT 0 CHECK (requests_total >= 0),
    patients_total BIGINT NOT NULL DEFAULT 0 CHECK (patients_total >= 0)
);

-- One row per admitted request, kept for one day for the sliding windows.
CREATE TABLE api_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys (id),
    kind TEXT NOT NULL CHECK (kind IN ('generate', 'read')),
    at BIGINT NOT NULL,
    patients BIGINT NOT NULL DEFAULT 0 CHECK (patients >= 0)
);

CREATE INDEX api_requests_by_key ON api_requests (key_id, kind, at);
CREATE INDEX api_requests_by_time ON api_requests (at);

CREATE TABLE jobs (
    -- Insertion order, which breaks ties between jobs created in the same millisecond.
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    owner_key_id TEXT NOT NULL REFERENCES api_keys (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    -- 0 low, 1 normal, 2 high.
    priority BIGINT NOT NULL CHECK (priority IN (0, 1, 2)),
    total_patients BIGINT NOT NULL CHECK (total_patients > 0),
    -- JSON array of format names.
    formats TEXT NOT NULL,
    use_compression BOOLEAN NOT NULL,
    -- Whether outputs are encrypted; the password is never stored.
    use_encryption BOOLEAN NOT NULL,
    -- The scenario or request body, a JSON object without passwords.
    config TEXT NOT NULL,
    phase TEXT,
    patients_done BIGINT NOT NULL DEFAULT 0 CHECK (patients_done >= 0),
    rate_per_second DOUBLE PRECISION,
    cancel_requested_at BIGINT,
    error TEXT,
    -- JSON array of {"name": ..., "size_bytes": ...}, set on completion.
    outputs TEXT NOT NULL DEFAULT '[]',
    -- JSON run summary, set on completion.
    summary TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE INDEX jobs_pending ON jobs (priority DESC, created_at, seq) WHERE status = 'pending';
CREATE INDEX jobs_by_owner ON jobs (owner_key_id, created_at);
CREATE INDEX jobs_by_status ON jobs (status);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Every status change of a job; from_status is NULL for the creation.
CREATE TABLE job_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    from_status TEXT CHECK (from_status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    to_status TEXT NOT NULL CHECK (to_status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    message TEXT
);

CREATE INDEX job_events_by_job ON job_events (job_id, id);

CREATE TABLE configurations (
    id TEXT PRIMARY KEY NOT NULL,
    owner_key_id TEXT NOT NULL REFERENCES api_keys (id),
    name TEXT NOT NULL,
    latest_version BIGINT NOT NULL CHECK (latest_version >= 1),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_key_id, name)
);

CREATE TABLE configuration_versions (
    configuration_id TEXT NOT NULL REFERENCES configurations (id) ON DELETE CASCADE,
    version BIGINT NOT NULL CHECK (version >= 1),
    -- A JSON object without passwords.
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (configuration_id, version)
);
