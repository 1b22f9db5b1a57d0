-- Intents not yet attempted follow the latest rendering (a re-rendered variant or new number).
UPDATE sends s
SET link_id = wm.link_id, to_phone = wm.to_phone, variant = wm.variant, segments = wm.segments
FROM wave_messages wm
WHERE s.wave_id = :wave_id AND s.state IN ('planned', 'deferred')
  AND wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id
  AND (s.link_id, s.to_phone, s.variant, s.segments)
      IS DISTINCT FROM (wm.link_id, wm.to_phone, wm.variant, wm.segments)
