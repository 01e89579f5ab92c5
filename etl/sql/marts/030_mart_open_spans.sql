-- mart_open_spans
-- Grain: one row per request, narrowed to the columns the backlog age and "past SLA" figures need.
-- open_until = completed_at, or +infinity while still open: the request is open at the end of day D when
--              submitted_at < D + 1 day <= open_until.
-- Ordered by open_until, so a filter `open_until >= D + 1 day` skips every row group completed before D (a filter on
-- "completed_at IS NULL OR completed_at >= ..." cannot use zone maps: the OR defeats them).
-- key: CAST(submitted_at AS DATE)
-- touched: day
-- order: open_until
SELECT r.submitted_at, coalesce(r.completed_at, TIMESTAMP 'infinity') AS open_until,
       r.kecamatan_code, r.service_code, r.channel, s.sla_hours
FROM {facts} AS r
JOIN dim_service AS s USING (service_code)

