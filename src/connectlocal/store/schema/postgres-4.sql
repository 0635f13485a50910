-- connectlocal PostgreSQL schema, version 4: the CTR stream's outbox (as SQLite's version 6;
-- stream.py, docs/design/outbox.md). A write that ends a contact, or changes an ended one,
-- queues the contact as stored here in its own transaction, while a stream consumer is
-- registered (ctr_consumers.seen within store.base.STREAM_LAPSE). Servers claim the oldest
-- rows with FOR UPDATE SKIP LOCKED for a lease (claimer, claimed_until: epoch seconds of the
-- wall clock), deliver them, then delete them.
CREATE TABLE ctr_outbox (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account       text NOT NULL,
  region        text NOT NULL,
  instance_id   text NOT NULL,
  contact_id    text NOT NULL,
  claimer       text,
  claimed_until double precision,
  doc           bytea NOT NULL
);
-- The servers delivering the outbox, each with when it last said so (a heartbeat).
CREATE TABLE ctr_consumers (
  consumer    text PRIMARY KEY,
  seen        double precision NOT NULL
);
