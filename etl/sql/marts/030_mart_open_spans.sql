-- mart_open_spans
-- Grain: one row per request that was open for at least part of a day (submitted_at .. completed_at or still open),
-- narrowed to the columns the backlog age and "past SLA" figures need.
-- Open at the end of day D: submitted_at < D + 1 day and (completed_at IS NULL or completed_at >= D + 1 day).
CREATE OR REPLACE TABLE mart_open_spans AS
SELECT r.submitted_at, r.completed_at, r.kecamatan_code, r.service_code, r.channel, s.sla_hours
FROM fct_service_requests AS r
JOIN dim_service AS s USING (service_code)
ORDER BY coalesce(r.completed_at, TIMESTAMP '9999-12-31');
