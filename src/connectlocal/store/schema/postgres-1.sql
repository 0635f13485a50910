-- connectlocal PostgreSQL schema, version 1 (store/postgres.py applies postgres-N.sql in order,
-- each in one transaction, and records N in meta). Same tables as the SQLite schema: documents
-- are JSON bytes (store/codec.py), the columns beside them what is looked up or swept by;
-- instants are epoch seconds.
CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE instances (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  alias       text,
  created     double precision NOT NULL,
  doc         bytea NOT NULL,
  PRIMARY KEY (account, region, instance_id)
);
-- An alias is a domain: unique across accounts and regions, by constraint.
CREATE UNIQUE INDEX instances_alias ON instances (alias) WHERE alias IS NOT NULL;

CREATE TABLE resources (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  kind        text NOT NULL,
  resource_id text NOT NULL,
  doc         bytea NOT NULL,
  PRIMARY KEY (account, region, instance_id, kind, resource_id)
);

CREATE TABLE contacts (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  contact_id  text NOT NULL,
  initiated   double precision NOT NULL,
  association text NOT NULL,  -- ContactAssociationId: ListAssociatedContacts
  chain       text NOT NULL,  -- the InitialContactId its attributes are kept under
  updated     double precision NOT NULL,  -- LastUpdateTimestamp: CTR imports keep the newest
  expires     double precision,           -- when an active contact expires
  doc         bytea NOT NULL,
  PRIMARY KEY (account, region, instance_id, contact_id)
);
CREATE INDEX contacts_by_time ON contacts (account, region, instance_id, initiated);
CREATE INDEX contacts_by_association ON contacts (account, region, instance_id, association);
CREATE INDEX contacts_expiring ON contacts (expires) WHERE expires IS NOT NULL;

CREATE TABLE attributes (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  initial_id  text NOT NULL,
  touched     double precision NOT NULL,
  doc         bytea NOT NULL,
  PRIMARY KEY (account, region, instance_id, initial_id)
);
CREATE INDEX attributes_touched ON attributes (touched);

-- A ClientToken is claimed once per scope, instance, operation and token: by constraint.
CREATE TABLE client_tokens (
  account     text NOT NULL,
  region      text NOT NULL,
  instance_id text NOT NULL,
  operation   text NOT NULL,
  token       text NOT NULL,
  resource_id text NOT NULL,
  fingerprint text NOT NULL,
  created     double precision NOT NULL,
  PRIMARY KEY (account, region, instance_id, operation, token)
);
CREATE INDEX client_tokens_created ON client_tokens (created);
