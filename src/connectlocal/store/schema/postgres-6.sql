-- connectlocal PostgreSQL schema, version 6 (SQLite's version 8): DescribeContact's answer as
-- stored (connectlocal.wire) moves from contacts.wire to a table of its own, so that
-- contacts stay small. Every write of a contact writes its answer in the same transaction
-- (wire NULL: no read can use one) and the retention sweep deletes it with the contact; a
-- bulk load drops the answers of the contacts it replaces and lists its contacts in
-- answers_pending, which a server works through in the background (Store.make_answers).
CREATE TABLE IF NOT EXISTS answers (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  contact_id  text NOT NULL,
  chain       text NOT NULL,
  wire        bytea,
  PRIMARY KEY (account, region, instance_id, contact_id)
);
CREATE TABLE IF NOT EXISTS answers_pending (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  contact_id  text NOT NULL,
  PRIMARY KEY (account, region, instance_id, contact_id)
);
INSERT INTO answers SELECT account, region, instance_id, contact_id, chain, wire
  FROM contacts WHERE wire IS NOT NULL ON CONFLICT DO NOTHING;
INSERT INTO answers_pending SELECT account, region, instance_id, contact_id
  FROM contacts WHERE wire IS NULL ON CONFLICT DO NOTHING;
ALTER TABLE contacts DROP COLUMN IF EXISTS wire;
