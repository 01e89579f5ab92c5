-- stg_skm_actions: one row per action of an uploaded follow-up plan (dataset `skm_actions`,
-- etl/ingest/skm_actions.py); rn = record order. Staging renames, casts and resolves through lookups made in Python
-- from the national words (base/skm.py): ing_act_units(raw, unit_code), ing_act_periods(raw, period, first_day,
-- last_day), ing_act_unsur(raw, code), ing_act_status(raw, code). Dates: ing_ts (day first, ISO, Excel serials);
-- a due date may also be a month (its last day: ing_period) or a period (its last day).
-- The braced names are column identifiers c1..cN (or NULL) chosen by the module, and {loaded} the loaded actions.
CREATE OR REPLACE TEMP TABLE stg_skm_actions AS
WITH src AS (
    SELECT rowid AS rn,
           nullif(trim({unit}), '') AS unit_raw, nullif(trim({period}), '') AS period_raw,
           nullif(trim({unsur}), '') AS unsur_raw,
           nullif(regexp_replace(trim({action}), '\s+', ' ', 'g'), '') AS action,
           nullif(regexp_replace(trim({owner}), '\s+', ' ', 'g'), '') AS owner,
           nullif(trim({due_date}), '') AS due_raw, nullif(trim({status}), '') AS status_raw,
           nullif(trim({done_date}), '') AS done_raw
    FROM ing_raw
    WHERE {not_empty}
)
SELECT src.*, u.unit_code, p.period, p.first_day AS period_first_day, e.code AS unsur,
       coalesce(ing_ts(due_raw)::DATE, CASE WHEN NOT ing_not_month(due_raw) THEN last_day(ing_period(due_raw)) END,
                dp.last_day) AS due_date,
       ing_ts(done_raw)::DATE AS done_date,
       CASE WHEN status_raw IS NOT NULL THEN st.code WHEN done_raw IS NOT NULL THEN 'done' ELSE 'planned' END
           AS status
FROM src
LEFT JOIN ing_act_units AS u ON u.raw = src.unit_raw
LEFT JOIN ing_act_periods AS p ON p.raw = src.period_raw
LEFT JOIN ing_act_periods AS dp ON dp.raw = src.due_raw
LEFT JOIN ing_act_unsur AS e ON e.raw = src.unsur_raw
LEFT JOIN ing_act_status AS st ON st.raw = src.status_raw;

-- ing_errors: one row per problem (rn, field, code, value, other_rn); messages ingest.error.* (skm_ingest.toml).
CREATE OR REPLACE TEMP TABLE ing_errors AS
WITH keyed AS (
    SELECT rn, unit_code, period, unsur, action,
           min(rn) OVER (PARTITION BY unit_code, period, unsur, lower(action)) AS first_rn,
           max(rn) OVER (PARTITION BY unit_code, period, unsur, lower(action)) AS last_rn,
           count(*) OVER (PARTITION BY unit_code, period, unsur, lower(action)) AS n
    FROM stg_skm_actions
    WHERE unit_code IS NOT NULL AND period IS NOT NULL AND unsur IS NOT NULL AND action IS NOT NULL
)
SELECT rn, 'unit' AS field, CASE WHEN unit_raw IS NULL THEN 'missing_value' ELSE 'skm_unknown_unit' END AS code,
       unit_raw AS value, NULL::BIGINT AS other_rn
FROM stg_skm_actions WHERE unit_code IS NULL
UNION ALL
SELECT rn, 'period', CASE WHEN period_raw IS NULL THEN 'missing_value' ELSE 'skm_bad_action_period' END, period_raw,
       NULL
FROM stg_skm_actions WHERE period IS NULL
UNION ALL
SELECT rn, 'period', 'skm_future_action_period', period_raw, NULL FROM stg_skm_actions WHERE period_first_day > $today
UNION ALL
SELECT rn, 'unsur', CASE WHEN unsur_raw IS NULL THEN 'missing_value' ELSE 'skm_unknown_unsur' END, unsur_raw, NULL
FROM stg_skm_actions WHERE unsur IS NULL
UNION ALL
SELECT rn, 'action', 'missing_value', NULL, NULL FROM stg_skm_actions WHERE action IS NULL
UNION ALL
SELECT rn, 'status', 'skm_unknown_action_status', status_raw, NULL FROM stg_skm_actions WHERE status IS NULL
UNION ALL
SELECT rn, 'due_date', 'skm_bad_action_date', due_raw, NULL
FROM stg_skm_actions WHERE due_raw IS NOT NULL AND due_date IS NULL
UNION ALL
SELECT rn, 'done_date', 'skm_bad_action_date', done_raw, NULL
FROM stg_skm_actions WHERE done_raw IS NOT NULL AND done_date IS NULL
UNION ALL
SELECT rn, 'done_date', 'skm_future_done_date', done_raw, NULL FROM stg_skm_actions WHERE done_date > $today
UNION ALL
SELECT rn, 'done_date', 'skm_done_without_date', NULL, NULL
FROM stg_skm_actions WHERE status = 'done' AND done_raw IS NULL
UNION ALL
SELECT rn, 'done_date', 'skm_done_date_not_done', done_raw, NULL
FROM stg_skm_actions WHERE done_raw IS NOT NULL AND status IN ('planned', 'in_progress')
UNION ALL
SELECT rn, 'action', 'skm_action_twice', unit_code || ' / ' || period || ' / ' || unsur || ' / ' || action,
       CASE WHEN rn = first_rn THEN last_rn ELSE first_rn END
FROM keyed WHERE n > 1
UNION ALL
SELECT rn, 'action', 'skm_action_already_loaded', unit_code || ' / ' || period || ' / ' || unsur || ' / ' || action,
       NULL
FROM keyed
WHERE $append AND (unit_code, period, unsur, lower(action)) IN
      (SELECT (unit_code, period, unsur, lower(action)) FROM {loaded});

CREATE OR REPLACE TEMP TABLE ing_repeats AS SELECT rn FROM stg_skm_actions WHERE false;
