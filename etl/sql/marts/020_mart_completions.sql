-- mart_completions
-- Grain: one row per completed request (exact quantiles need every value), ordered by completed_day so
-- DuckDB's zone maps skip row groups outside a date filter (one sort key: a row group spans weeks of days, finer
-- keys would not prune more).
-- hours   = processing hours = (completed_at - submitted_at) in microseconds / 3.6e9 (exact to the stored precision)
-- on_time = hours <= the service's sla_hours
-- submitted_at: for the backlog age at the end of a day before the completion (see mart_open_requests)
-- key: completed_day
-- touched: day
SELECT CAST(r.completed_at AS DATE) AS completed_day,
       r.kecamatan_code, r.service_code, r.channel,
       date_diff('microsecond', r.submitted_at, r.completed_at) / 3600e6 AS hours,
       date_diff('microsecond', r.submitted_at, r.completed_at) / 3600e6 <= s.sla_hours AS on_time,
       r.submitted_at
FROM {facts} AS r
JOIN dim_service AS s USING (service_code)
WHERE r.completed_at IS NOT NULL

