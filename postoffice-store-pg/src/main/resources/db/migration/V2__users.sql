-- The SQL user directory (docs/postgresql.md, "Users"): the passwd-file's fields, one row per user.
CREATE TABLE users (
    name   text PRIMARY KEY,
    secret text NOT NULL,
    uid    text NOT NULL DEFAULT '',
    gid    text NOT NULL DEFAULT '',
    gecos  text NOT NULL DEFAULT '',
    home   text NOT NULL DEFAULT '',
    shell  text NOT NULL DEFAULT '',
    extra  text NOT NULL DEFAULT ''
);
