-- People's clicks already ingested that a new batch's clicks may repeat: those of the batch's
-- voters since the batch's first click minus the repeat window (the partial index on voter and
-- time serves it). Shared links have no voter; their repeats are found within a batch only.
SELECT e.link_id, c.ip_hash, c.user_agent, e.clicked_at
FROM click_events AS e
JOIN clicks AS c ON c.click_id = e.click_id
WHERE e.is_human
  AND e.voter_id = ANY(:voters)
  AND e.clicked_at >= :since
