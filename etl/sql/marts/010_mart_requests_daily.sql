-- mart_requests_daily
-- Grain: one row per WIB calendar day x kecamatan x service x channel that had any request submitted or completed.
-- received   = requests whose submitted_at falls on `day`
-- completed  = requests whose completed_at falls on `day`
-- on_time    = of those completed, how many took <= the service's sla_hours
-- hours_sum  = sum of processing hours of those completed (hours)
-- processing hours = (completed_at - submitted_at) in microseconds / 3.6e9: exact to the stored precision
-- (date_diff('second') would count second boundaries crossed, off by up to a second).
-- Open backlog at the end of day D = sum(received, day <= D) - sum(completed, day <= D): exact, because completed_at >= submitted_at.
-- Ordered by day so DuckDB's zone maps skip row groups outside a date filter.
-- key: day
-- touched: day
WITH received AS (
    SELECT CAST(submitted_at AS DATE) AS day, kecamatan_code, service_code, channel, count(*) AS received
    FROM {facts}
    GROUP BY ALL
), done AS (
    SELECT CAST(r.completed_at AS DATE) AS day, r.kecamatan_code, r.service_code, r.channel,
           date_diff('microsecond', r.submitted_at, r.completed_at) / 3600e6 AS hours, s.sla_hours
    FROM {facts} AS r
    JOIN dim_service AS s USING (service_code)
    WHERE r.completed_at IS NOT NULL
), completed AS (
    SELECT day, kecamatan_code, service_code, channel,
           count(*) AS completed,
           count(*) FILTER (WHERE hours <= sla_hours) AS on_time,
           sum(hours) AS hours_sum
    FROM done
    GROUP BY ALL
)
SELECT day, kecamatan_code, service_code, channel,
       coalesce(received, 0)::BIGINT AS received,
       coalesce(completed, 0)::BIGINT AS completed,
       coalesce(on_time, 0)::BIGINT AS on_time,
       coalesce(hours_sum, 0)::DOUBLE AS hours_sum
FROM received FULL OUTER JOIN completed USING (day, kecamatan_code, service_code, channel)

