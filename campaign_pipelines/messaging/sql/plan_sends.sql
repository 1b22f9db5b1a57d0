-- One intent row per voter in the wave's rendered messages. The unique (wave_id, voter_id)
-- constraint is what makes the intent exactly-once: a re-run or a second run inserts nothing.
-- A voter who left the audience and came back is planned again, never one already attempted.
INSERT INTO sends AS s (wave_id, voter_id, link_id, to_phone, variant, segments, state, not_before)
SELECT wm.wave_id, wm.voter_id, wm.link_id, wm.to_phone, wm.variant, wm.segments, 'planned',
       :opens_at
FROM wave_messages wm
WHERE wm.wave_id = :wave_id
ON CONFLICT ON CONSTRAINT sends_once_per_wave_and_voter DO UPDATE
SET state = 'planned', error_reason = NULL, not_before = EXCLUDED.not_before,
    link_id = EXCLUDED.link_id, to_phone = EXCLUDED.to_phone, variant = EXCLUDED.variant,
    segments = EXCLUDED.segments
WHERE s.state = 'skipped' AND s.error_reason = 'left_audience'
