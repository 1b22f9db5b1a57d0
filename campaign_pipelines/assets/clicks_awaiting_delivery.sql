-- Clicks ingested before their text's delivery report arrived, whose report is now in: they
-- are judged again with the delivery time (a "person" two seconds after delivery is not one).
SELECT
    e.click_id,
    c.method,
    c.user_agent,
    e.server_is_human,
    e.server_reason,
    -- a repeat found across the server's workers at ingest stays one when re-judged
    e.reason = 'repeat_within_window' AS repeat,
    coalesce(ms.delivered_at, cb.delivered_at) AS delivered_at,
    extract(EPOCH FROM c.clicked_at - coalesce(ms.delivered_at, cb.delivered_at))
        AS seconds_since_delivery
FROM click_events AS e
JOIN clicks AS c ON c.click_id = e.click_id
LEFT JOIN message_statuses AS ms ON ms.message_sid = e.message_sid
LEFT JOIN LATERAL (
    SELECT min(received_at) AS delivered_at
    FROM status_callbacks
    WHERE message_sid = e.message_sid AND status = 'delivered'
) AS cb ON TRUE
WHERE e.delivered_at IS NULL
  AND e.message_sid IS NOT NULL
  AND coalesce(ms.delivered_at, cb.delivered_at) IS NOT NULL
