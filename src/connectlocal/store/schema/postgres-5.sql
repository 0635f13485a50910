-- connectlocal PostgreSQL schema, version 5: DescribeContact's answer as stored beside each
-- contact's document (connectlocal.wire; SQLite's version 7). Contacts stored before it have
-- none: DescribeContact answers them through the generic path until they are written again.
ALTER TABLE contacts ADD COLUMN IF NOT EXISTS wire bytea;
