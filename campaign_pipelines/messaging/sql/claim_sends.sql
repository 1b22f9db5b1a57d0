-- Move the next due intents to 'submitting' and hand back what is needed to send them. The
-- commit of this statement is the record that a send may have happened: it precedes every API
-- call. SKIP LOCKED keeps two senders from ever claiming the same row; the anti-joins leave a
-- number that opted out since planning untouched.
WITH picked AS (
    SELECT s.send_id
    FROM sends s
    WHERE s.wave_id = :wave_id AND s.state IN ('planned', 'deferred') AND s.not_before <= :now
      AND NOT EXISTS (SELECT 1 FROM suppressions x WHERE x.phone_e164 = s.to_phone)
      AND NOT EXISTS (
          SELECT 1 FROM opt_outs o WHERE o.phone_e164 = s.to_phone AND o.opted_out
      )
    ORDER BY s.not_before, s.send_id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE sends s
SET state = 'submitting', submitted_at = :now, error_code = NULL, error_reason = NULL
FROM picked, wave_messages wm
LEFT JOIN links l ON l.link_id = wm.link_id
WHERE s.send_id = picked.send_id AND wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id
RETURNING s.send_id, s.voter_id, s.to_phone, s.segments, wm.body, wm.timezone, wm.home_state,
          l.code AS link_code
