-- The latest status of one provider message. It only moves forward: a callback that arrives
-- late or twice (rank not above the stored one) changes nothing, except to fill in the link
-- when the send's message SID was stored after an earlier callback came in.
INSERT INTO message_statuses AS known
    (message_sid, status, status_rank, error_code, to_phone, delivered_at, updated_at, link_id)
VALUES (
    %(message_sid)s, %(status)s, %(rank)s, %(error_code)s, %(to_phone)s,
    CASE WHEN %(status)s IN ('delivered', 'read') THEN now() END, now(), {link_id}
)
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
