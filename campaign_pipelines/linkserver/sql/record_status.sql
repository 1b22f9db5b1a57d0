-- The latest status of each provider message in a batch (one row per message). It only moves
-- forward: a callback that arrives late or twice (rank not above the stored one) changes
-- nothing, except to fill in the link when the send's message SID was stored after an earlier
-- callback came in. Times are when each callback reached the link server (kept through a spool
-- replay after an outage), not when this statement runs.
INSERT INTO message_statuses AS known
    (message_sid, status, status_rank, error_code, to_phone, delivered_at, updated_at, link_id)
SELECT
    latest.message_sid, latest.status, latest.status_rank, latest.error_code, latest.to_phone,
    CASE WHEN latest.status IN ('delivered', 'read') THEN latest.received_at END,
    latest.received_at,
    (SELECT link_id FROM sends WHERE message_sid = latest.message_sid)
FROM unnest(%s::text[], %s::text[], %s::smallint[], %s::text[], %s::text[], %s::timestamptz[])
    AS latest (message_sid, status, status_rank, error_code, to_phone, received_at)
ON CONFLICT (message_sid) DO UPDATE SET
    status = CASE WHEN EXCLUDED.status_rank > known.status_rank
                  THEN EXCLUDED.status ELSE known.status END,
    status_rank = greatest(known.status_rank, EXCLUDED.status_rank),
    error_code = CASE WHEN EXCLUDED.status_rank > known.status_rank
                      THEN EXCLUDED.error_code ELSE known.error_code END,
    to_phone = coalesce(known.to_phone, EXCLUDED.to_phone),
    delivered_at = coalesce(known.delivered_at, EXCLUDED.delivered_at),
    updated_at = CASE WHEN EXCLUDED.status_rank > known.status_rank
                      THEN EXCLUDED.updated_at ELSE known.updated_at END,
    link_id = coalesce(known.link_id, EXCLUDED.link_id)
WHERE EXCLUDED.status_rank > known.status_rank
   OR (known.link_id IS NULL AND EXCLUDED.link_id IS NOT NULL)
