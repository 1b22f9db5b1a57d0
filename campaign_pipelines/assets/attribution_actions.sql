-- Attributed actions per wave x variant x route x district, attribution model and action type,
-- with the action rate (voters who acted per text sent) and the cost per action.
INSERT INTO attribution_actions (
    wave_id, variant, route, district_id, model, action_type, actions, voters, amount_usd,
    action_rate, cost_per_action
)
SELECT
    t.wave_id,
    t.variant,
    t.route,
    t.district_id,
    t.model,
    a.action_type,
    count(*),
    count(DISTINCT a.voter_id),
    coalesce(sum(a.amount), 0),
    count(DISTINCT a.voter_id)::float8 / nullif(max(f.sent), 0),
    max(f.cost_usd) / count(*)
FROM action_touches AS t
JOIN actions AS a ON a.action_id = t.action_id
LEFT JOIN attribution_funnel AS f
    ON (f.wave_id, f.variant, f.route, f.district_id)
     = (t.wave_id, t.variant, t.route, t.district_id)
GROUP BY t.wave_id, t.variant, t.route, t.district_id, t.model, a.action_type
