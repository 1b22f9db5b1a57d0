-- Intents a run left in 'submitting' (it crashed, was killed, or timed out): Twilio may or may
-- not have the message, so each is looked up before anything else happens to it.
SELECT s.send_id, s.to_phone, s.submitted_at, wm.body, l.code AS link_code
FROM sends s
LEFT JOIN wave_messages wm ON wm.wave_id = s.wave_id AND wm.voter_id = s.voter_id
LEFT JOIN links l ON l.link_id = s.link_id
WHERE s.wave_id = :wave_id AND s.state = 'submitting'
ORDER BY s.send_id
