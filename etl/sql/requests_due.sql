-- requests_due: every request of {facts} with the deadline of its service standard — the one definition of a
-- deadline and of "on time" (data/README.md, "Deadlines"). N = dim_service.sla_value.
-- hours          due_at = submitted_at + N hours;                                   on time: completed_at <= due_at
-- calendar_days  due_at = 00:00 after (submission date + N days);                   on time: completed_at <  due_at
-- working_days   due_at = 00:00 after the N-th working day strictly after the submission date (N = 0: the submission
--                date if it is a working day, else the next working day);           on time: completed_at <  due_at
-- The day-based deadlines are looked up per service and submission day in dim_deadline (etl/sql/deadlines.sql).
-- Dates are the city's local dates: every timestamp is stored as local wall-clock time.
SELECT *, CASE WHEN sla_unit = 'hours' THEN completed_at <= due_at ELSE completed_at < due_at END AS on_time
FROM (
    SELECT r.*, s.sla_unit,
           CASE WHEN s.sla_unit = 'hours'
                THEN r.submitted_at + to_microseconds(CAST(round(s.sla_value * 3600e6) AS BIGINT))
                ELSE d.due_at END AS due_at
    FROM {facts} AS r
    JOIN dim_service AS s USING (service_code)
    LEFT JOIN dim_deadline AS d ON d.service_code = r.service_code AND d.day = CAST(r.submitted_at AS DATE)
)
