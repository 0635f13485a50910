-- connectlocal PostgreSQL schema, version 2: agents, routing and metrics (as SQLite's version
-- 5). contact_facts: what metrics and routing read of each contact, derived from its document
-- whenever it is stored (PostgresTx.put_contact, bulk loads, this migration's backfill in
-- store/postgres.py). Instants are epoch seconds to the millisecond; durations seconds.
CREATE TABLE contact_facts (
  account      text NOT NULL,
  region       text NOT NULL,
  instance_id  text NOT NULL,
  contact_id   text NOT NULL,
  initiated    double precision NOT NULL,
  channel      text,
  method       text,              -- InitiationMethod
  queue_id     text,
  enqueued     double precision,  -- QueueInfo.EnqueueTimestamp
  agent_id     text,
  connected    double precision,  -- AgentInfo.ConnectedToAgentTimestamp
  disconnected double precision,
  acw_seconds  double precision,  -- AgentInfo.AfterContactWorkDuration
  hold_seconds double precision,  -- AgentInfo.AgentInitiatedHoldDuration
  transferred  boolean NOT NULL,  -- it has a next contact (a transfer)
  -- A metric reads a range of initiations of one instance.
  PRIMARY KEY (account, region, instance_id, initiated, contact_id)
);
-- The contacts waiting in a queue (routing reads them on every change).
CREATE INDEX contact_facts_waiting ON contact_facts (account, region, instance_id, enqueued)
  WHERE queue_id IS NOT NULL AND connected IS NULL AND disconnected IS NULL;

-- Each agent's routing state; due: its next deadline on the service clock.
CREATE TABLE agent_states (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  user_id     text NOT NULL,
  due         double precision,
  doc         bytea NOT NULL,
  PRIMARY KEY (account, region, instance_id, user_id)
);
CREATE INDEX agent_states_due ON agent_states (due) WHERE due IS NOT NULL;

-- Every agent status an agent was in, from when (the status history metrics read).
CREATE TABLE agent_status_history (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  user_id     text NOT NULL,
  started     double precision NOT NULL,
  status_id   text NOT NULL,
  status_type text NOT NULL,
  PRIMARY KEY (account, region, instance_id, user_id, started)
);
