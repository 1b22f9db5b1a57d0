-- Outcomes of one batch, one row per send; only rows still 'submitting' move.
UPDATE sends s
SET state = v.state,
    message_sid = v.message_sid,
    error_code = v.error_code,
    error_reason = v.error_reason,
    not_before = coalesce(v.not_before, s.not_before),
    sent_at = v.sent_at,
    attempts = s.attempts + v.calls
FROM unnest(
    CAST(:send_ids AS bigint[]), CAST(:states AS text[]), CAST(:message_sids AS text[]),
    CAST(:error_codes AS text[]), CAST(:error_reasons AS text[]),
    CAST(:not_befores AS timestamptz[]), CAST(:sent_ats AS timestamptz[]), CAST(:calls AS int[])
) AS v(send_id, state, message_sid, error_code, error_reason, not_before, sent_at, calls)
WHERE s.send_id = v.send_id AND s.state = 'submitting'
