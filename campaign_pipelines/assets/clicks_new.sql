-- Link-server clicks not yet in click_events, after :after_id, joined to their link, the text
-- that carried it and the time that text was delivered. Keyset-paged by click_id.
SELECT
    c.click_id,
    c.link_id,
    c.clicked_at,
    c.method,
    c.user_agent,
    c.ip_hash,
    c.is_human AS server_is_human,
    c.reason AS server_reason,
    l.wave_id,
    l.voter_id,
    coalesce(s.variant, l.variant) AS variant,
    l.route,
    l.channel,
    d.district_id,
    s.message_sid,
    coalesce(ms.delivered_at, cb.delivered_at) AS delivered_at,
    extract(EPOCH FROM c.clicked_at - coalesce(ms.delivered_at, cb.delivered_at))
        AS seconds_since_delivery
FROM clicks AS c
LEFT JOIN links AS l ON l.link_id = c.link_id
LEFT JOIN sends AS s ON s.wave_id = l.wave_id AND s.voter_id = l.voter_id
LEFT JOIN district_assignments AS d ON d.voter_id = l.voter_id AND d.layer = :layer
LEFT JOIN message_statuses AS ms ON ms.message_sid = s.message_sid
LEFT JOIN LATERAL (
    SELECT min(received_at) AS delivered_at
    FROM status_callbacks
    WHERE message_sid = s.message_sid AND status = 'delivered'
) AS cb ON TRUE
WHERE c.click_id > :after_id
  AND NOT EXISTS (SELECT 1 FROM click_events AS e WHERE e.click_id = c.click_id)
ORDER BY c.click_id
LIMIT :batch_rows
