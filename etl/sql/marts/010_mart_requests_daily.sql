-- mart_requests_daily
-- Grain: one row per local calendar day x kecamatan x service x channel that had any request submitted or completed.
-- received   = requests whose submitted_at falls on `day`
-- completed  = requests whose completed_at falls on `day`
-- on_time    = of those completed, how many were completed within their deadline (mart_completions.on_time)
-- hours_sum  = sum of processing hours of those completed (hours, as in mart_completions)
-- Open backlog at the end of day D = sum(received, day <= D) - sum(completed, day <= D): exact, because completed_at >= submitted_at.
-- Ordered by day so DuckDB's zone maps skip row groups outside a date filter.
-- Built as one stream of events and one GROUP BY: each request once as submitted (from the facts), and each completion
-- once more from mart_completions (`{completions}`, built just before: its hours and deadline, so the facts are not
-- joined with their deadlines a second time). A sum of doubles depends on the order it adds them in, which a parallel
-- GROUP BY does not fix: hours_sum agrees with any other order to about 1e-9 of its value.
-- key: day
-- touched: day
SELECT day, kecamatan_code, service_code, channel,
       count(*) FILTER (WHERE NOT done)::BIGINT AS received,
       count(*) FILTER (WHERE done)::BIGINT AS completed,
       count(*) FILTER (WHERE done AND on_time)::BIGINT AS on_time,
       coalesce(sum(hours), 0)::DOUBLE AS hours_sum
FROM (
    SELECT CAST(submitted_at AS DATE) AS day, kecamatan_code, service_code, channel, false AS done,
           NULL::DOUBLE AS hours, NULL::BOOLEAN AS on_time
    FROM {facts}
    UNION ALL
    SELECT completed_day, kecamatan_code, service_code, channel, true, hours, on_time
    FROM {completions}
)
GROUP BY ALL
