-- connectlocal PostgreSQL schema, version 3: flows (as SQLite's flow_runs and flow_logs).
-- Where each contact is in its flow (engine/flows.py): one document per contact. due: when a
-- waiting run (customer input, Wait) times out at the service clock; the sweep resumes it.
CREATE TABLE flow_runs (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  contact_id  text NOT NULL,
  due         double precision,
  doc         bytea NOT NULL,
  PRIMARY KEY (account, region, instance_id, contact_id)
);
CREATE INDEX flow_runs_due ON flow_runs (due) WHERE due IS NOT NULL;

-- Flow logs: one record per action a contact's flows ran, in Amazon Connect's flow-log shape;
-- seq orders them (a contact's records are written under its instance's write lock).
CREATE TABLE flow_logs (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  contact_id  text NOT NULL,
  doc         bytea NOT NULL
);
CREATE INDEX flow_logs_by_contact ON flow_logs (account, region, contact_id, seq);
