-- Fewer round trips per session (docs/postgresql.md, "Round trips"): login's liveness check, the maildrop's row, the
-- lease and the last login in one call; the lease's release without waiting for a WAL flush.

-- Takes the maildrop's lease for a session of node p_node, creating the maildrop's row at first use, and returns
-- the maildrop, the lease's fencing token and the last login. SQLSTATE PO001: the lease is held by another
-- session on a live node (IN-USE); PO002: p_node's own liveness has expired. The caller reads the snapshot after
-- this call, in the same implicit transaction, so it starts after any UPDATE that held the lease row.
CREATE FUNCTION postoffice_login(p_name text, p_node text,
                                 OUT o_mailbox bigint, OUT o_token bigint, OUT o_last_login timestamptz)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM node WHERE id = p_node AND expires > now();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this node''s liveness has expired; logins wait for its heartbeat' USING ERRCODE = 'PO002';
    END IF;
    SELECT id INTO o_mailbox FROM mailbox WHERE name = p_name;
    IF o_mailbox IS NULL THEN
        INSERT INTO mailbox (name) VALUES (p_name) ON CONFLICT (name) DO NOTHING RETURNING id INTO o_mailbox;
        IF o_mailbox IS NULL THEN -- created meanwhile by a concurrent delivery or login
            SELECT id INTO o_mailbox FROM mailbox WHERE name = p_name;
        END IF;
    END IF;
    INSERT INTO lease AS l (mailbox_id, node_id, token) VALUES (o_mailbox, p_node, nextval('lease_token'))
        ON CONFLICT (mailbox_id) DO UPDATE SET node_id = EXCLUDED.node_id, token = EXCLUDED.token, since = now()
        WHERE NOT EXISTS (SELECT 1 FROM node n WHERE n.id = l.node_id AND n.expires > now())
        RETURNING l.token INTO o_token;
    IF o_token IS NULL THEN
        RAISE EXCEPTION 'the maildrop of % is in use by another session', p_name USING ERRCODE = 'PO001';
    END IF;
    SELECT m.last_login INTO o_last_login FROM mailbox m WHERE m.id = o_mailbox;
END
$$;

-- Gives up a session's lease (only if it is still that token's) without waiting for the WAL flush: a release lost
-- in a database crash leaves a row of a session that no longer exists, which its node's next heartbeat deletes
-- (orphans older than the TTL), so the maildrop is free again within twice the TTL; nothing can be deleted under it.
CREATE FUNCTION postoffice_release(p_mailbox bigint, p_token bigint) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    DELETE FROM lease WHERE mailbox_id = p_mailbox AND token = p_token;
END
$$;
