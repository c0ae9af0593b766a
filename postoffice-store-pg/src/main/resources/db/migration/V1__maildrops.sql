-- Postoffice's PostgreSQL schema, version 1 (docs/postgresql.md). Flyway applies it; never edit it once
-- released: a change is a new V<N>__what.sql.

-- One row per maildrop: the usage that quotas check, the next UID and the last login (LOGIN-DELAY).
CREATE TABLE mailbox (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    bytes      bigint NOT NULL DEFAULT 0,
    messages   bigint NOT NULL DEFAULT 0,
    next_uid   bigint NOT NULL DEFAULT 1,
    last_login timestamptz
);

-- One row per message. uid orders a maildrop (delivery order) and is never reused; uidl is assigned once at
-- delivery (or copied by a migration) and unique in the maildrop. size is the canonical octet count (LIST),
-- form how the stored octets relate to the wire (WIRE, DOTTED, RAW). The octets live behind body_locator.
CREATE TABLE message (
    mailbox_id   bigint NOT NULL REFERENCES mailbox (id),
    uid          bigint NOT NULL,
    uidl         text NOT NULL,
    size         bigint NOT NULL,
    form         text NOT NULL CHECK (form IN ('WIRE', 'DOTTED', 'RAW')),
    delivered    timestamptz NOT NULL,
    retrieved    timestamptz,
    body_locator text NOT NULL,
    PRIMARY KEY (mailbox_id, uid),
    UNIQUE (mailbox_id, uidl)
);

-- Bodies in chunks, keyed by the locator ('pg:' and a UUID); another kind of locator may name an object store.
CREATE TABLE body_chunk (
    locator text NOT NULL,
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (locator, seq)
);
-- Mail rarely compresses well enough to pay for the CPU: stored out of line, uncompressed.
ALTER TABLE body_chunk ALTER COLUMN data SET STORAGE EXTERNAL;

-- Each node's liveness, renewed by the node's heartbeat; a lease of a node whose row expired is free.
CREATE TABLE node (
    id      text PRIMARY KEY,
    host    text NOT NULL,
    started timestamptz NOT NULL DEFAULT now(),
    expires timestamptz NOT NULL
);

-- RFC 1939's exclusive lock: one row per maildrop a session holds, with its fencing token.
CREATE SEQUENCE lease_token;
CREATE TABLE lease (
    mailbox_id bigint PRIMARY KEY REFERENCES mailbox (id),
    node_id    text NOT NULL,
    token      bigint NOT NULL,
    since      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lease_node ON lease (node_id);
