-- gib-taxii's PostgreSQL store, schema 1. Times are microseconds since the
-- Unix epoch (bigint), as in the bbolt store, so that date_added values and
-- clients' resume points are the same in both.

CREATE TABLE IF NOT EXISTS gib_meta (
    key   text PRIMARY KEY,
    value bytea NOT NULL
);

-- One row per collection: the latest date_added ever given. Writers lock
-- it (SELECT ... FOR UPDATE) to give the next one, so date_added is unique
-- and increasing per collection whatever the number of writers.
CREATE TABLE IF NOT EXISTS collection_state (
    collection text PRIMARY KEY,
    last_added bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS records (
    collection   text    NOT NULL,
    date_added   bigint  NOT NULL,
    id           text    NOT NULL,
    type         text    NOT NULL,
    version      bigint  NOT NULL,
    version_text text    NOT NULL,
    spec_version text    NOT NULL,
    is_first     boolean NOT NULL,
    is_last      boolean NOT NULL,
    json         bytea   NOT NULL,  -- the bytes as received: jsonb would rewrite them
    PRIMARY KEY (collection, date_added)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_id ON records (collection, id, version);
CREATE INDEX IF NOT EXISTS records_type ON records (collection, type, date_added);
CREATE INDEX IF NOT EXISTS records_last ON records (collection, date_added) WHERE is_last;
CREATE INDEX IF NOT EXISTS records_type_last ON records (collection, type, date_added) WHERE is_last;

CREATE TABLE IF NOT EXISTS record_values (
    collection text   NOT NULL,
    value      text   NOT NULL,
    date_added bigint NOT NULL,
    PRIMARY KEY (collection, value, date_added)
);

CREATE TABLE IF NOT EXISTS cursors (
    source text PRIMARY KEY,
    state  bytea NOT NULL
);

CREATE TABLE IF NOT EXISTS receipts (
    key     text PRIMARY KEY,
    owner   text   NOT NULL,
    expires bigint NOT NULL,
    json    bytea  NOT NULL
);
CREATE INDEX IF NOT EXISTS receipts_expires ON receipts (expires);

CREATE TABLE IF NOT EXISTS collection_ids (
    key text PRIMARY KEY,
    id  text NOT NULL UNIQUE
);

-- The ingest lease's epoch: each new leader bumps it, and each of its
-- commits reads it FOR SHARE, so a commit of a former leader either ends
-- before the new leader starts or is refused.
CREATE TABLE IF NOT EXISTS ingest_lease (
    id    integer PRIMARY KEY CHECK (id = 1),
    epoch bigint  NOT NULL
);
INSERT INTO ingest_lease (id, epoch) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
