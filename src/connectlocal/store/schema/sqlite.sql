-- connectlocal SQLite schema, version 8 (store/sqlite.py migrates versions 1 to 7). Documents are JSON (store/codec.py); the columns
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
  -- (a store of version 7 also has a column wire, NULL since version 8: see answers)
  PRIMARY KEY (account, region, instance_id, contact_id)
) WITHOUT ROWID;
-- No index by initiation: contact_facts holds every contact's key in initiation order, and
-- the retention sweep and time ranges walk it. An index here repeated that key (bytes per
-- contact), and a bulk load, writing in contact order, rewrote its pages in every
-- transaction (bench/README.md).
DROP INDEX IF EXISTS contacts_initiated;
DROP INDEX IF EXISTS contacts_by_time;
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
-- The sweep finds the chains past retention by the day of touched, then each chain in key
-- order, touched with it (covered: the table is not read). By touched alone, a bulk load's
-- step (chains in key order) wrote entries all over the index and rewrote most of its pages
-- at each commit: 2.5 GB written to import 200,000 records instead of 0.9 GB
-- (bench/README.md); by day, a step appends within each day it touches.
DROP INDEX IF EXISTS attributes_touched;
CREATE INDEX IF NOT EXISTS attributes_by_day
  ON attributes (CAST(touched / 86400 AS INTEGER), account, region, instance_id, initial_id,
                 touched);

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

-- Version 5 (agents, routing and metrics). contact_facts: what metrics and routing read of
-- each contact, derived from its document whenever the contact is stored (SqliteTx.put_contact,
-- bulk loads, the version 4 migration), so imported and simulated contacts report too.
-- Instants are epoch seconds to the millisecond; durations are seconds.
CREATE TABLE IF NOT EXISTS contact_facts (
  account      TEXT NOT NULL,
  region       TEXT NOT NULL,
  instance_id  TEXT NOT NULL,
  contact_id   TEXT NOT NULL,
  initiated    REAL NOT NULL,
  channel      TEXT,
  method       TEXT,   -- InitiationMethod
  queue_id     TEXT,
  enqueued     REAL,   -- QueueInfo.EnqueueTimestamp
  agent_id     TEXT,
  connected    REAL,   -- AgentInfo.ConnectedToAgentTimestamp
  disconnected REAL,
  acw_seconds  REAL,   -- AgentInfo.AfterContactWorkDuration
  hold_seconds REAL,   -- AgentInfo.AgentInitiatedHoldDuration
  transferred  INTEGER NOT NULL,  -- it has a next contact (a transfer)
  -- In initiation order: a metric reads a range of the table itself, not an index and then
  -- each row (that took 30x as long). A contact's InitiationTimestamp does not change; a
  -- bulk load that changes it removes the row under the old one.
  PRIMARY KEY (account, region, instance_id, initiated, contact_id)
) WITHOUT ROWID;
-- The contacts waiting in a queue (routing reads them on every change).
CREATE INDEX IF NOT EXISTS contact_facts_waiting
  ON contact_facts (account, region, instance_id, enqueued)
  WHERE queue_id IS NOT NULL AND connected IS NULL AND disconnected IS NULL;

-- Each agent's routing state (engine/routing.py); due: its next deadline on the service clock
-- (a ring times out, after-contact work reaches its limit), which the sweep looks for.
CREATE TABLE IF NOT EXISTS agent_states (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  due         REAL,
  doc         BLOB NOT NULL,
  PRIMARY KEY (account, region, instance_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS agent_states_due ON agent_states (due) WHERE due IS NOT NULL;

-- Every agent status an agent was in, from when (the status history metrics read).
CREATE TABLE IF NOT EXISTS agent_status_history (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  started     REAL NOT NULL,
  status_id   TEXT NOT NULL,
  status_type TEXT NOT NULL,
  PRIMARY KEY (account, region, instance_id, user_id, started)
) WITHOUT ROWID;

-- Where each contact is in its flow (engine/flows.py): one document per contact. due: when a
-- waiting run (customer input, Wait) times out at the service clock; the sweep resumes it.
CREATE TABLE IF NOT EXISTS flow_runs (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  contact_id  TEXT NOT NULL,
  due         REAL,
  doc         BLOB NOT NULL,
  PRIMARY KEY (account, region, instance_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS flow_runs_due ON flow_runs (due) WHERE due IS NOT NULL;

-- Flow logs: one record per action a contact's flows ran, in Amazon Connect's flow-log shape.
CREATE TABLE IF NOT EXISTS flow_logs (
  seq         INTEGER PRIMARY KEY,
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  contact_id  TEXT NOT NULL,
  doc         BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS flow_logs_by_contact ON flow_logs (account, region, contact_id, seq);

-- Version 6: the CTR stream's outbox (stream.py; docs/design/outbox.md). A write that ends a
-- contact, or changes an ended one, queues the contact as stored here in its own transaction,
-- while a stream consumer is registered (ctr_consumers.seen within store.base.STREAM_LAPSE). A
-- streaming server claims the oldest rows for a lease (claimer, claimed_until: epoch seconds
-- of the wall clock), delivers them, then deletes them.
CREATE TABLE IF NOT EXISTS ctr_outbox (
  seq           INTEGER PRIMARY KEY,
  account       TEXT NOT NULL,
  region        TEXT NOT NULL,
  instance_id   TEXT NOT NULL,
  contact_id    TEXT NOT NULL,
  claimer       TEXT,
  claimed_until REAL,
  doc           BLOB NOT NULL
);
-- The servers delivering the outbox, each with when it last said so (a heartbeat).
CREATE TABLE IF NOT EXISTS ctr_consumers (
  consumer    TEXT PRIMARY KEY,
  seen        REAL NOT NULL
) WITHOUT ROWID;

-- Bulk loads between writing contacts and writing their facts (store/sqlite.py), each seen at
-- every step: one seen long ago stopped midway, and the contacts it wrote may lack their
-- facts rows, which metrics, time ranges and the retention sweep read (repair_facts).
CREATE TABLE IF NOT EXISTS bulk_loads (
  load_id TEXT PRIMARY KEY,
  seen    REAL NOT NULL  -- wall-clock epoch seconds
) WITHOUT ROWID;

-- Version 8: DescribeContact's answer as stored (connectlocal.wire), one per contact, in a
-- table of its own so that contacts stay small. Every write of a contact writes its answer in
-- the same transaction (wire NULL: no read can use one), and the retention sweep deletes it
-- with the contact. A bulk load instead drops the answers of the contacts it replaces and
-- lists its contacts in answers_pending, in the same transaction as each step's contacts;
-- a server makes their answers in the background (Store.make_answers).
CREATE TABLE IF NOT EXISTS answers (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  contact_id  TEXT NOT NULL,
  chain       TEXT NOT NULL,  -- contacts.chain: the attributes the answer is read with
  wire        BLOB,
  PRIMARY KEY (account, region, instance_id, contact_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS answers_pending (
  account     TEXT NOT NULL,
  region      TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  contact_id  TEXT NOT NULL,
  PRIMARY KEY (account, region, instance_id, contact_id)
) WITHOUT ROWID;
