-- Due intents grouped by the clock that governs them: the voter's zone and state's hours.
SELECT wm.timezone, wm.home_state, count(*) AS due
FROM sends s
JOIN wave_messages wm ON wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id
WHERE s.wave_id = :wave_id AND s.state IN ('planned', 'deferred') AND s.not_before <= :now
GROUP BY wm.timezone, wm.home_state
