-- dim_deadline: for each service whose standard counts days, the deadline of a request submitted on each calendar
-- day (the definitions are in etl/sql/requests_due.sql). Rebuilt whenever the calendar or the services change.
-- working_day_no numbers the working days, so "the N-th working day strictly after day d" is the working day numbered
-- working_day_no(d) + N; for N = 0, the first working day from d on is numbered working_day_no(d) when d is one, else
-- working_day_no(d) + 1.
WITH work AS (SELECT working_day_no, day FROM dim_calendar WHERE is_working_day)
SELECT s.service_code, c.day,
       CASE WHEN s.sla_unit = 'calendar_days' THEN (c.day + CAST(s.sla_value AS INTEGER) + 1)::TIMESTAMP
            ELSE (w.day + 1)::TIMESTAMP END AS due_at
FROM dim_service AS s
CROSS JOIN dim_calendar AS c
LEFT JOIN work AS w
       ON s.sla_unit = 'working_days'
      AND w.working_day_no = c.working_day_no + CAST(s.sla_value AS INTEGER)
                             + CASE WHEN s.sla_value = 0 AND NOT c.is_working_day THEN 1 ELSE 0 END
WHERE s.sla_unit IN ('calendar_days', 'working_days')
ORDER BY s.service_code, c.day
