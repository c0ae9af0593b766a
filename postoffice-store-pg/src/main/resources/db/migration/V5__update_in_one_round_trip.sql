-- UPDATE in one round trip (docs/postgresql.md, "Round trips"): the lease's check, the removals, the usage, the
-- first retrievals and, at QUIT, the lease's release, in one call and one transaction, where schema 4 sent each
-- as its own statement and released the lease in another transaction afterwards.

-- The UPDATE state of the session holding lease p_token on maildrop p_mailbox: removes the messages p_gone (their
-- rows, their chunks and their usage), records p_when as the first retrieval of the messages p_seen that have none
-- (EXPIRE), and with p_release deletes the lease row too (QUIT: the session ends with this call). Removals are
-- fenced: unless the lease row still holds p_token and its node is alive, nothing happens and SQLSTATE PO003 is
-- raised. Runs as the caller's one implicit transaction, and its commit waits for the WAL flush, as every removal's
-- must (a removal lost in a crash would bring back mail the client was told is gone).
CREATE FUNCTION postoffice_update(p_mailbox bigint, p_token bigint, p_gone bigint[], p_seen bigint[],
                                  p_when timestamptz, p_release boolean) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_bytes    bigint;
    v_count    bigint;
    v_locators text[];
BEGIN
    IF cardinality(p_gone) > 0 THEN
        PERFORM 1 FROM lease l JOIN node n ON n.id = l.node_id
            WHERE l.mailbox_id = p_mailbox AND l.token = p_token AND n.expires > now() FOR UPDATE OF l;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the lease on maildrop % was lost (another node may hold it)', p_mailbox
                USING ERRCODE = 'PO003';
        END IF;
        WITH gone AS (DELETE FROM message WHERE mailbox_id = p_mailbox AND uid = ANY (p_gone)
                      RETURNING size, body_locator)
        SELECT coalesce(sum(size), 0), count(*), array_agg(body_locator) INTO v_bytes, v_count, v_locators
            FROM gone;
        IF v_count > 0 THEN
            DELETE FROM body_chunk WHERE locator = ANY (v_locators);
            UPDATE mailbox SET bytes = greatest(0, bytes - v_bytes), messages = greatest(0, messages - v_count)
                WHERE id = p_mailbox;
        END IF;
    END IF;
    IF cardinality(p_seen) > 0 THEN
        UPDATE message SET retrieved = p_when
            WHERE mailbox_id = p_mailbox AND uid = ANY (p_seen) AND retrieved IS NULL;
    END IF;
    IF p_release THEN
        DELETE FROM lease WHERE mailbox_id = p_mailbox AND token = p_token;
    END IF;
END
$$;
