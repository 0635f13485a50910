-- connectlocal SQLite schema, version 4 (store/sqlite.py migrates versions 1 to 3). Documents are JSON (store/codec.py); the columns
-- beside them are what is looked up or swept by.
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS instances (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  alias       TEXT,
  created     REAL NOT NULL,
  doc         BLOB NOT NULL,
  PRIMARY KEY (account, region, instance_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS instances_alias ON instances (alias) WHERE alias IS NOT NULL;

CREATE TABLE IF NOT EXISTS resources (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  kind        TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  doc         BLOB NOT NULL,
  PRIMARY KEY (account, region, instance_id, kind, resource_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS contacts (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  contact_id  TEXT NOT NULL,
  initiated   REAL NOT NULL,
  association TEXT NOT NULL,  -- ContactAssociationId: ListAssociatedContacts
  chain       TEXT NOT NULL,  -- the InitialContactId its attributes are kept under
  updated     REAL NOT NULL,  -- LastUpdateTimestamp: CTR imports keep the newest record
  expires     REAL,           -- when an active contact expires (the sweep ends it then)
  doc         BLOB NOT NULL,
  PRIMARY KEY (account, region, instance_id, contact_id)
) WITHOUT ROWID;
-- The retention sweep walks contacts_by_time per instance: no index on initiated alone (each
-- secondary index repeats the whole key; bench/README.md measures bytes per contact).
DROP INDEX IF EXISTS contacts_initiated;
CREATE INDEX IF NOT EXISTS contacts_by_time
  ON contacts (account, region, instance_id, initiated);
CREATE INDEX IF NOT EXISTS contacts_by_association
  ON contacts (account, region, instance_id, association);
CREATE INDEX IF NOT EXISTS contacts_expiring ON contacts (expires) WHERE expires IS NOT NULL;

-- User-defined contact attributes belong to a chain of contacts, under its InitialContactId.
-- touched: the newest initiation of a chain contact; swept with the contacts.
CREATE TABLE IF NOT EXISTS attributes (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  initial_id  TEXT NOT NULL,
  touched     REAL NOT NULL,
  doc         BLOB NOT NULL,
  PRIMARY KEY (account, region, instance_id, initial_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS attributes_touched ON attributes (touched);

CREATE TABLE IF NOT EXISTS client_tokens (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  operation   TEXT NOT NULL,
  token       TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created     REAL NOT NULL,
  PRIMARY KEY (account, region, instance_id, operation, token)
) WITHOUT ROWID;
-- The sweep deletes expired claims by creation, a step at a time (store.base.Paced).
CREATE INDEX IF NOT EXISTS client_tokens_created ON client_tokens (created);
