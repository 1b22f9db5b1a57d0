-- Due intents of one group whose window is shut: deferred to its next opening, or skipped
-- when the wave closes before that.
UPDATE sends s
SET state = :state, not_before = coalesce(:not_before, s.not_before), error_reason = :reason
FROM wave_messages wm
WHERE s.wave_id = :wave_id AND s.state IN ('planned', 'deferred') AND s.not_before <= :now
  AND wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id
  AND wm.timezone IS NOT DISTINCT FROM :timezone
  AND wm.home_state IS NOT DISTINCT FROM :home_state
