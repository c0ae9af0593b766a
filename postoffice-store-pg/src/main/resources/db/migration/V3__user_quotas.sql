-- Quotas as columns (issue 12: "columns in the SQL directory"), so that provisioning can set them with plain SQL.
-- NULL: the extra field of the same name, if any, else the server's default; 0: no limit.
ALTER TABLE users
    ADD COLUMN quota_bytes    bigint CHECK (quota_bytes >= 0),
    ADD COLUMN quota_messages bigint CHECK (quota_messages >= 0);
