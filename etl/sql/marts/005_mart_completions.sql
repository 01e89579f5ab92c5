-- mart_completions
-- Grain: one row per completed request (exact quantiles need every value), ordered by completed_day so
-- DuckDB's zone maps skip row groups outside a date filter, and within a day by hours: a quantile then selects from
-- runs already in order, which DuckDB does faster than from values in arrival order (the same values, the same
-- result).
-- hours   = processing hours = (completed_at - submitted_at) in microseconds / 3.6e9 (exact to the stored precision;
--           elapsed hours whatever the unit of the standard)
-- on_time = completed within the service standard's deadline, due_at (etl/sql/requests_due.sql)
-- submitted_at, due_at: for the backlog and the overdue backlog at the end of a day before the completion (see
-- mart_open_requests)
-- key: completed_day
-- touched: day
-- order: completed_day, hours
SELECT CAST(r.completed_at AS DATE) AS completed_day,
       r.kecamatan_code, r.service_code, r.channel,
       date_diff('microsecond', r.submitted_at, r.completed_at) / 3600e6 AS hours,
       r.on_time,
       r.submitted_at,
       r.due_at
FROM {requests} AS r
WHERE r.completed_at IS NOT NULL
