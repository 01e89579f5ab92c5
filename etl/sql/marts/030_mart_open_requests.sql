-- mart_open_requests
-- Grain: one row per request not completed (yet), with the dimensions the backlog figures filter on and its deadline.
-- A request is open at the end of day D when submitted_at < D + 1 day and it is either in this mart or in
-- mart_completions with completed_day > D (completed_at >= D + 1 day 00:00 is the same as completed_day >= D + 1).
-- It is overdue then when, moreover, due_at < D + 1 day (data/README.md, overdue_at_end).
-- Together the two hold every request once, so no per-request copy of the facts is kept for the backlog.
-- Ordered by submitted_at, so `submitted_at < D + 1 day` for a past D skips the requests that came later.
-- key: CAST(submitted_at AS DATE)
-- touched: day
-- order: submitted_at
SELECT r.submitted_at, r.kecamatan_code, r.service_code, r.channel, r.due_at
FROM {requests} AS r
WHERE r.completed_at IS NULL
