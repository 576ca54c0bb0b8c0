-- Job leases, so that several service instances can share the jobs: the instance that claimed a
-- job, how long its claim lasts without renewal, when the claim expires, and how many times the
-- job was claimed. A running job whose lease expired is put back to pending or failed.
-- Jobs that were running before this migration have no lease and count as expired.
-- received_by names the instance that keeps what the store must not (an encryption password) in
-- memory: other instances claim such a job only once it has waited for a lease's duration.

ALTER TABLE jobs ADD COLUMN received_by TEXT;
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
ALTER TABLE jobs ADD COLUMN lease_ms BIGINT;
ALTER TABLE jobs ADD COLUMN lease_expires_at BIGINT;
ALTER TABLE jobs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0);

CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE status = 'running';
