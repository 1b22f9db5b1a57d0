-- For each matched action, its last and its first touch within the window before it. Touches:
-- the link the action came through (refcode; at the action itself), a person's click on the
-- voter's link, and a delivered text. Ties go to the most direct evidence (refcode, click, text).
INSERT INTO action_touches (
    action_id, model, touch_kind, touch_at, window_hours, link_id, click_id, message_sid,
    wave_id, variant, route, district_id
)
WITH candidates AS (
    SELECT action_id, voter_id, link_id, acted_at,
           acted_at - CAST(:window_hours AS float8) * interval '1 hour' AS window_start
    FROM actions
    WHERE voter_id IS NOT NULL OR link_id IS NOT NULL
),
chosen AS (
    SELECT a.action_id, 'last_touch' AS model, t.*
    FROM candidates AS a
    CROSS JOIN LATERAL (
        SELECT * FROM (
            SELECT 0 AS priority, 'refcode' AS touch_kind, a.acted_at AS touch_at, a.link_id,
                   NULL::bigint AS click_id, NULL::text AS message_sid
            WHERE a.link_id IS NOT NULL
            UNION ALL
            (SELECT 1, 'click', e.clicked_at, e.link_id, e.click_id, e.message_sid
             FROM click_events AS e
             WHERE e.is_human AND e.voter_id = a.voter_id
               AND e.clicked_at <= a.acted_at AND e.clicked_at >= a.window_start
             ORDER BY e.clicked_at DESC LIMIT 1)
            UNION ALL
            (SELECT 2, 'text', ds.delivered_at, ds.link_id, NULL, ds.message_sid
             FROM delivery_statuses AS ds
             WHERE ds.voter_id = a.voter_id AND ds.delivered_at IS NOT NULL
               AND ds.delivered_at <= a.acted_at AND ds.delivered_at >= a.window_start
             ORDER BY ds.delivered_at DESC LIMIT 1)
        ) AS touches
        ORDER BY touch_at DESC, priority
        LIMIT 1
    ) AS t
    UNION ALL
    SELECT a.action_id, 'first_touch' AS model, t.*
    FROM candidates AS a
    CROSS JOIN LATERAL (
        SELECT * FROM (
            SELECT 0 AS priority, 'refcode' AS touch_kind, a.acted_at AS touch_at, a.link_id,
                   NULL::bigint AS click_id, NULL::text AS message_sid
            WHERE a.link_id IS NOT NULL
            UNION ALL
            (SELECT 1, 'click', e.clicked_at, e.link_id, e.click_id, e.message_sid
             FROM click_events AS e
             WHERE e.is_human AND e.voter_id = a.voter_id
               AND e.clicked_at <= a.acted_at AND e.clicked_at >= a.window_start
             ORDER BY e.clicked_at ASC LIMIT 1)
            UNION ALL
            (SELECT 2, 'text', ds.delivered_at, ds.link_id, NULL, ds.message_sid
             FROM delivery_statuses AS ds
             WHERE ds.voter_id = a.voter_id AND ds.delivered_at IS NOT NULL
               AND ds.delivered_at <= a.acted_at AND ds.delivered_at >= a.window_start
             ORDER BY ds.delivered_at ASC LIMIT 1)
        ) AS touches
        ORDER BY touch_at ASC, priority
        LIMIT 1
    ) AS t
)
SELECT
    c.action_id,
    c.model,
    c.touch_kind,
    c.touch_at,
    CAST(:window_hours AS float8),
    c.link_id,
    c.click_id,
    c.message_sid,
    coalesce(l.wave_id, '(shared)'),
    coalesce(s.variant, l.variant, '(none)'),
    l.route,
    coalesce(d.district_id, '(unknown)')
FROM chosen AS c
JOIN links AS l ON l.link_id = c.link_id
LEFT JOIN sends AS s ON s.wave_id = l.wave_id AND s.voter_id = l.voter_id
LEFT JOIN district_assignments AS d ON d.voter_id = l.voter_id AND d.layer = :layer
