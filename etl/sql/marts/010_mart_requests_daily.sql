-- mart_requests_daily
-- Grain: one row per local calendar day x kecamatan x service x channel that had any request submitted or completed.
-- received   = requests whose submitted_at falls on `day`
-- completed  = requests whose completed_at falls on `day`
-- on_time    = of those completed, how many were completed within their deadline (mart_completions.on_time)
-- hours_sum  = sum of processing hours of those completed (hours, as in mart_completions)
-- Open backlog at the end of day D = sum(received, day <= D) - sum(completed, day <= D): exact, because completed_at >= submitted_at.
-- Ordered by day so DuckDB's zone maps skip row groups outside a date filter.
-- Built as one stream of events (each request once as submitted, once more as completed, with its deadline) and
-- one GROUP BY. (Summing mart_completions instead costs the same, but its float sums depend on that mart's row order.)
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
    SELECT CAST(r.completed_at AS DATE), r.kecamatan_code, r.service_code, r.channel, true,
           date_diff('microsecond', r.submitted_at, r.completed_at) / 3600e6, r.on_time
    FROM {requests} AS r
    WHERE r.completed_at IS NOT NULL
)
GROUP BY ALL
