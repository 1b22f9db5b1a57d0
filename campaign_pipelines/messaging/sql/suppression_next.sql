-- Every number that must not be texted, once, under its strongest reason: opt-outs first
-- (STOP replies, Twilio 21610, imported lists), then landlines (21614, carrier 30006, imported
-- lookups), then numbers Twilio called invalid (21211). A 21610 is lifted once the voter texts
-- START again, as Twilio itself lifts it.
CREATE TEMPORARY TABLE suppression_next ON COMMIT DROP AS
WITH sources AS (
    SELECT o.phone_e164, 'opt_out' AS reason, 'inbound_' || o.source AS source
    FROM opt_outs o
    WHERE o.opted_out
    UNION ALL
    SELECT s.to_phone,
           CASE s.error_code WHEN '21610' THEN 'opt_out' WHEN '21614' THEN 'landline'
                ELSE 'invalid_number' END,
           'twilio_' || s.error_code
    FROM sends s
    WHERE s.error_code IN ('21610', '21614', '21211')
      AND NOT (s.error_code = '21610' AND EXISTS (
          SELECT 1 FROM opt_outs o
          WHERE o.phone_e164 = s.to_phone AND NOT o.opted_out
            AND o.updated_at > coalesce(s.submitted_at, s.planned_at)
      ))
    UNION ALL
    SELECT m.to_phone, 'landline', 'carrier_30006'
    FROM message_statuses m
    WHERE m.error_code = '30006' AND m.to_phone IS NOT NULL
    UNION ALL
    SELECT i.phone_e164, i.reason, 'import_' || i.source
    FROM suppression_imports i
)
SELECT DISTINCT ON (phone_e164) phone_e164, reason, source
FROM sources
ORDER BY phone_e164,
         CASE reason WHEN 'opt_out' THEN 1 WHEN 'landline' THEN 2 ELSE 3 END, source
