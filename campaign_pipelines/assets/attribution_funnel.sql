-- Sent -> delivered -> clicked per wave x variant x route x district. A text counts as sent
-- once the provider accepted it (it has a message SID), under every route it carried a link
-- for; clicks count on the link they came through, so clicks on shared links (QR, TV) land
-- under wave "(shared)".
INSERT INTO attribution_funnel (
    wave_id, variant, route, district_id, sent, delivered, segments, cost_usd, clicks,
    clicks_by_people, clicks_by_machines, people_who_clicked, delivery_rate, click_rate
)
WITH texts AS (
    -- One row per text and link it carried: a text with a polling-place and a donate link is
    -- sent for both routes; its cost is split evenly between them.
    SELECT
        s.wave_id,
        s.variant,
        s.voter_id,
        s.segments::numeric / greatest(count(l.link_id) OVER (PARTITION BY s.send_id), 1)
            AS segments_share,
        coalesce(l.route, '(none)') AS route,
        ds.delivered_at
    FROM sends AS s
    LEFT JOIN links AS l
        ON l.wave_id = s.wave_id AND l.voter_id = s.voter_id AND l.channel = 'sms'
    LEFT JOIN delivery_statuses AS ds ON ds.message_sid = s.message_sid
    WHERE s.message_sid IS NOT NULL
),
sent AS (
    SELECT
        t.wave_id,
        t.variant,
        t.route,
        coalesce(d.district_id, '(unknown)') AS district_id,
        count(*) AS sent,
        count(*) FILTER (WHERE t.delivered_at IS NOT NULL) AS delivered,
        sum(t.segments_share) AS segments
    FROM texts AS t
    LEFT JOIN district_assignments AS d ON d.voter_id = t.voter_id AND d.layer = :layer
    GROUP BY 1, 2, 3, 4
),
clicked AS (
    SELECT
        coalesce(wave_id, '(shared)') AS wave_id,
        coalesce(variant, '(none)') AS variant,
        coalesce(route, '(none)') AS route,
        coalesce(district_id, '(unknown)') AS district_id,
        count(*) AS clicks,
        count(*) FILTER (WHERE is_human) AS clicks_by_people,
        count(*) FILTER (WHERE NOT is_human) AS clicks_by_machines,
        count(DISTINCT voter_id) FILTER (WHERE is_human) AS people_who_clicked
    FROM click_events
    GROUP BY 1, 2, 3, 4
)
SELECT
    wave_id,
    variant,
    route,
    district_id,
    coalesce(s.sent, 0),
    coalesce(s.delivered, 0),
    round(coalesce(s.segments, 0)),
    coalesce(s.segments, 0) * CAST(:cost_per_segment AS numeric),
    coalesce(c.clicks, 0),
    coalesce(c.clicks_by_people, 0),
    coalesce(c.clicks_by_machines, 0),
    coalesce(c.people_who_clicked, 0),
    s.delivered::float8 / nullif(s.sent, 0),
    c.people_who_clicked::float8 / nullif(s.delivered, 0)
FROM sent AS s
FULL JOIN clicked AS c USING (wave_id, variant, route, district_id)
