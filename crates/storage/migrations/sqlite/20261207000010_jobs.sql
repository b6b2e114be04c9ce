-- Background jobs: a durable queue that workers (inside `mutualis serve`, or `mutualis worker`
-- alone) claim one job at a time. Keep in step with migrations/postgres/20261207000010_jobs.sql.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    -- What to do ("decp_import"…) and its parameters (JSON text), read by the application.
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    -- Attempts started (a claim counts one), and how many may be.
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    -- How far the running attempt is: units done out of a total (bytes read of a file…).
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    -- The last failed attempt's error, in French, for people.
    error TEXT,
    -- What a finished job gives (JSON text).
    result TEXT,
    -- Who asked: a user of an organisation; none for the platform's own jobs.
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    organisation_id BIGINT REFERENCES organisations (id),
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    -- Not claimed before this instant (a retry waits its delay).
    run_after TIMESTAMP NOT NULL,
    -- The worker running it, until when it holds it, and when it last said it was alive: a
    -- job whose lease ran out is claimed again (its worker died).
    lease_owner TEXT,
    lease_until TIMESTAMP,
    heartbeat_at TIMESTAMP
);
CREATE INDEX jobs_claim ON jobs (status, run_after);
CREATE INDEX jobs_created ON jobs (created_at);
