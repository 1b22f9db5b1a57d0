-- Texted and holdout voters per wave and district, and how many of each took each action type
-- within the outcome window after the wave's first text. Both arms come from the wave's own
-- audience (eligible = texted arm, "holdout" = the randomised control), so they share every
-- eligibility rule; the texted arm is intention-to-treat, delivered or not.
WITH arms AS MATERIALIZED (
    SELECT
        a.wave_id,
        a.voter_id,
        a.exclusion IS NULL AS texted,
        coalesce(d.district_id, '(unknown)') AS district_id
    FROM wave_audience AS a
    LEFT JOIN district_assignments AS d ON d.voter_id = a.voter_id AND d.layer = :layer
    WHERE a.exclusion IS NULL OR a.exclusion = 'holdout'
),
windows AS (
    SELECT
        wave_id,
        min(coalesce(sent_at, submitted_at)) AS outcome_from,
        min(coalesce(sent_at, submitted_at))
            + CAST(:outcome_hours AS float8) * interval '1 hour' AS outcome_to
    FROM sends
    WHERE message_sid IS NOT NULL
    GROUP BY wave_id
),
sizes AS (
    SELECT
        wave_id,
        district_id,
        count(*) FILTER (WHERE texted) AS texted,
        count(*) FILTER (WHERE NOT texted) AS holdout
    FROM arms
    GROUP BY wave_id, district_id
),
acted AS (
    SELECT
        r.wave_id,
        r.district_id,
        x.action_type,
        count(DISTINCT r.voter_id) FILTER (WHERE r.texted) AS texted_acted,
        count(DISTINCT r.voter_id) FILTER (WHERE NOT r.texted) AS holdout_acted
    FROM actions AS x
    JOIN arms AS r ON r.voter_id = x.voter_id
    JOIN windows AS w ON w.wave_id = r.wave_id
    WHERE x.voter_id IS NOT NULL
      AND x.acted_at >= w.outcome_from
      AND x.acted_at < w.outcome_to
    GROUP BY r.wave_id, r.district_id, x.action_type
)
SELECT
    s.wave_id,
    t.action_type,
    s.district_id,
    s.texted,
    coalesce(a.texted_acted, 0) AS texted_acted,
    s.holdout,
    coalesce(a.holdout_acted, 0) AS holdout_acted,
    w.outcome_from,
    w.outcome_to
FROM sizes AS s
JOIN windows AS w ON w.wave_id = s.wave_id
CROSS JOIN unnest(CAST(:action_types AS text[])) AS t (action_type)
LEFT JOIN acted AS a
    ON a.wave_id = s.wave_id AND a.district_id = s.district_id AND a.action_type = t.action_type
ORDER BY s.wave_id, t.action_type, s.district_id
