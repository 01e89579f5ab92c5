-- mart_requests_monthly
-- Grain: one row per calendar month (first day) x kecamatan x service x channel with any activity: mart_requests_daily
-- summed by month (received, completed, on_time, hours_sum as defined there).
-- Why: the open backlog at the end of day D is every request received minus every request completed up to D. Summing
-- whole months before D's month here (about a thousand rows a month), plus D's own month from mart_requests_daily,
-- reads a few thousand rows instead of the whole daily history.
-- key: month
-- touched: date_trunc('month', day)::DATE
SELECT date_trunc('month', day)::DATE AS month, kecamatan_code, service_code, channel,
       sum(received)::BIGINT AS received,
       sum(completed)::BIGINT AS completed,
       sum(on_time)::BIGINT AS on_time,
       sum(hours_sum)::DOUBLE AS hours_sum
FROM {daily}
GROUP BY ALL

