-- mart_open_spans
-- Grain: one row per request, narrowed to the columns the backlog age and "past SLA" figures need.
-- open_until = completed_at, or +infinity while still open: the request is open at the end of day D when
--              submitted_at < D + 1 day <= open_until.
-- Ordered by open_until, so a filter `open_until >= D + 1 day` skips every row group completed before D (a filter on
-- "completed_at IS NULL OR completed_at >= ..." cannot use zone maps: the OR defeats them).
CREATE OR REPLACE TABLE mart_open_spans AS
SELECT r.submitted_at, r.completed_at, coalesce(r.completed_at, TIMESTAMP 'infinity') AS open_until,
       r.kecamatan_code, r.service_code, r.channel, s.sla_hours
FROM fct_service_requests AS r
JOIN dim_service AS s USING (service_code)
ORDER BY open_until;
