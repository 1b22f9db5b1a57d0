-- The latest status of every text the provider accepted, from Twilio's status callbacks (which
-- may arrive late, twice or out of order: the furthest status wins, then the latest report),
-- and when it was delivered. Callbacks for a message we have no send for are kept too.
INSERT INTO delivery_statuses (
    message_sid, send_id, wave_id, voter_id, variant, link_id, status, error_code, sent_at,
    delivered_at, first_status_at, last_status_at, callbacks
)
WITH ranked AS (
    SELECT
        message_sid,
        status,
        error_code,
        received_at,
        row_number() OVER (
            PARTITION BY message_sid
            ORDER BY
                CASE status
                    WHEN 'read' THEN 6
                    WHEN 'delivered' THEN 5
                    WHEN 'undelivered' THEN 5
                    WHEN 'failed' THEN 5
                    WHEN 'sent' THEN 4
                    WHEN 'sending' THEN 3
                    WHEN 'queued' THEN 2
                    ELSE 1
                END DESC,
                received_at DESC,
                callback_id DESC
        ) AS position
    FROM status_callbacks
),
summary AS (
    SELECT
        message_sid,
        min(received_at) FILTER (WHERE status IN ('delivered', 'read')) AS delivered_at,
        min(received_at) AS first_status_at,
        max(received_at) AS last_status_at,
        count(*) AS callbacks
    FROM status_callbacks
    GROUP BY message_sid
)
SELECT
    coalesce(s.message_sid, r.message_sid),
    s.send_id,
    s.wave_id,
    s.voter_id,
    s.variant,
    s.link_id,
    coalesce(r.status, s.state),
    coalesce(r.error_code, s.error_code),
    s.sent_at,
    m.delivered_at,
    m.first_status_at,
    m.last_status_at,
    coalesce(m.callbacks, 0)
FROM (SELECT * FROM sends WHERE message_sid IS NOT NULL) AS s
FULL JOIN (SELECT * FROM ranked WHERE position = 1) AS r ON r.message_sid = s.message_sid
LEFT JOIN summary AS m ON m.message_sid = coalesce(s.message_sid, r.message_sid)
