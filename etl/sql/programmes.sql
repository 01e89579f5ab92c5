-- The smart-city master plan (dataset `programmes`): tables and the analyst-facing view programme_status.
-- Run by every build, refresh and upgrade (etl.store.write_views) and before every programmes load, so a database
-- made by an older release gets them too; every statement is a no-op on a current database.
--
-- fct_programmes grain: one row per programme x reporting period (period = the reporting date: the last day of the
-- day, month, quarter or year the file names). Values are in the programme's own unit.
CREATE TABLE IF NOT EXISTS fct_programmes (
    programme_id   VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,
    pillar         VARCHAR NOT NULL,   -- governance | branding | economy | living | society | environment
    kind           VARCHAR NOT NULL,   -- quick_win | short | medium
    agency         VARCHAR,            -- the perangkat daerah (OPD) responsible
    indicator      VARCHAR NOT NULL,   -- what is measured, in the plan's words
    unit           VARCHAR,
    baseline_value DOUBLE NOT NULL,    -- stands at 31 Dec of baseline_year
    baseline_year  INTEGER NOT NULL,
    target_value   DOUBLE NOT NULL,    -- due at 31 Dec of target_year; never equal to baseline_value
    target_year    INTEGER NOT NULL,   -- after baseline_year
    realised_value DOUBLE NOT NULL,    -- measured at `period`
    period         DATE NOT NULL,
    note           VARCHAR,
    source         VARCHAR NOT NULL,   -- 'sample: …' for the sample programmes
    load_id        BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS undo_programmes AS SELECT *, NULL::BIGINT AS undo_load_id FROM fct_programmes WITH NO DATA;

-- programme_status: one row per loaded row of fct_programmes.
--   baseline_date = 31 Dec of baseline_year; target_date = 31 Dec of target_year
--   progress = (realised - baseline) / (target - baseline), clamped to [0, 1.25] (the service index's cap,
--              kpi.metrics.SCORE_CAP); a falling indicator (target below baseline) divides two negatives
--   expected = (period - baseline_date) / (target_date - baseline_date) in days, clamped to [0, 1]
--   status   = 'done' when progress >= 1; 'on_track' when progress >= expected - 0.10; else 'behind'
CREATE OR REPLACE VIEW programme_status AS
WITH p AS (
    SELECT programme_id, pillar, period,
           least(greatest((realised_value - baseline_value) / (target_value - baseline_value), 0), 1.25) AS progress,
           least(greatest(date_diff('day', make_date(baseline_year, 12, 31), period)
                          / date_diff('day', make_date(baseline_year, 12, 31), make_date(target_year, 12, 31)), 0),
                 1) AS expected
    FROM fct_programmes
)
SELECT programme_id, pillar, period, progress, expected,
       CASE WHEN progress >= 1 THEN 'done' WHEN progress >= expected - 0.10 THEN 'on_track' ELSE 'behind' END
           AS status
FROM p;
