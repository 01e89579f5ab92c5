-- stg_skm: one row per respondent of an uploaded survey file (dataset `skm`, etl/ingest/skm.py); rn = record order.
-- Staging only renames, casts and resolves through lookups made from the national and pack words in Python:
--   ing_skm_units(raw, unit_code)              a unit's spelling -> its unit (base.units names)
--   ing_skm_answer_words(field, raw, value, problem)  an element column's cell -> 1..4, or why it is none
--   ing_skm_profile(field, raw, category, known)      a profile cell -> its category
--   ing_service_alias(key, code)               a service by code or name (as service requests resolve it)
-- Times: ing_ts (etl/sql/staging/000_macros.sql: ISO, day first, Excel serials, offsets and 'Z' to the city's local
-- time); a file written month first ($month_first, decided once per file) has its D and M swapped before.
-- The braced names are column identifiers c1..cN (or NULL) chosen by etl/ingest/skm.py (the file is filled in with
-- str.format, so a regular expression's braces are written twice).
CREATE OR REPLACE TEMP TABLE stg_skm_src AS
SELECT rowid AS rn,
       nullif(trim({respondent_id}), '') AS respondent_id,
       nullif(trim({unit}), '') AS unit_raw,
       nullif(trim({service_code}), '') AS service_raw,
       nullif(trim({submitted_at}), '') AS submitted_raw,
       {umur}::VARCHAR AS umur_raw, {jenis_kelamin}::VARCHAR AS jenis_kelamin_raw,
       {pendidikan}::VARCHAR AS pendidikan_raw, {pekerjaan}::VARCHAR AS pekerjaan_raw,
       {u1}::VARCHAR AS u1, {u2}::VARCHAR AS u2, {u3}::VARCHAR AS u3, {u4}::VARCHAR AS u4, {u5}::VARCHAR AS u5,
       {u6}::VARCHAR AS u6, {u7}::VARCHAR AS u7, {u8}::VARCHAR AS u8, {u9}::VARCHAR AS u9
FROM ing_raw
WHERE {not_empty};

-- one row per respondent x element: the cell and its answer (NULL with the reason when it is none)
CREATE OR REPLACE TEMP TABLE stg_skm_answers AS
WITH cells AS (
    SELECT rn, 'u1' AS field, u1 AS raw FROM stg_skm_src UNION ALL SELECT rn, 'u2', u2 FROM stg_skm_src
    UNION ALL SELECT rn, 'u3', u3 FROM stg_skm_src UNION ALL SELECT rn, 'u4', u4 FROM stg_skm_src
    UNION ALL SELECT rn, 'u5', u5 FROM stg_skm_src UNION ALL SELECT rn, 'u6', u6 FROM stg_skm_src
    UNION ALL SELECT rn, 'u7', u7 FROM stg_skm_src UNION ALL SELECT rn, 'u8', u8 FROM stg_skm_src
    UNION ALL SELECT rn, 'u9', u9 FROM stg_skm_src
)
SELECT c.rn, c.field, c.raw, w.value,
       CASE WHEN w.value IS NOT NULL THEN NULL
            WHEN c.raw IS NULL THEN 'skm_answer_missing' ELSE coalesce(w.problem, 'skm_answer_word') END AS problem
FROM cells AS c LEFT JOIN ing_skm_answer_words AS w ON w.field = c.field AND w.raw = c.raw;

CREATE OR REPLACE TEMP TABLE stg_skm AS
WITH answers AS (
    SELECT rn, max(value) FILTER (WHERE field = 'u1') AS u1, max(value) FILTER (WHERE field = 'u2') AS u2,
           max(value) FILTER (WHERE field = 'u3') AS u3, max(value) FILTER (WHERE field = 'u4') AS u4,
           max(value) FILTER (WHERE field = 'u5') AS u5, max(value) FILTER (WHERE field = 'u6') AS u6,
           max(value) FILTER (WHERE field = 'u7') AS u7, max(value) FILTER (WHERE field = 'u8') AS u8,
           max(value) FILTER (WHERE field = 'u9') AS u9
    FROM stg_skm_answers GROUP BY rn
)
, svc AS (SELECT v, a.code FROM (SELECT DISTINCT service_raw AS v FROM stg_skm_src) LEFT JOIN ing_service_alias AS a
                                                                                   ON a.key = ing_key(v))
, dated AS (
    SELECT rn, CASE WHEN $month_first AND regexp_matches(submitted_raw, '^\d{{1,2}}[/\-.]\d{{1,2}}[/\-.]\d{{4}}')
                    THEN regexp_replace(submitted_raw, '^(\d{{1,2}})([/\-.])(\d{{1,2}})([/\-.])', '\3\2\1\4')
                    ELSE submitted_raw END AS day_first
    FROM stg_skm_src
)
SELECT s.rn, s.respondent_id, s.unit_raw, u.unit_code, s.service_raw, svc.code AS service_code, s.submitted_raw,
       ing_ts(d.day_first) AS submitted_at,
       -- a date with slashes whose order contradicts the file's (a day in the month's place): named, not guessed
       coalesce(TRY_CAST(regexp_extract(d.day_first, '^\d{{1,2}}[/\-.](\d{{1,2}})[/\-.]\d{{4}}', 1) AS INTEGER) > 12,
                false) AS order_conflict,
       a.u1, a.u2, a.u3, a.u4, a.u5, a.u6, a.u7, a.u8, a.u9,
       s.umur_raw, pu.category AS umur, coalesce(pu.known, true) AS umur_known,
       s.jenis_kelamin_raw, pj.category AS jenis_kelamin, coalesce(pj.known, true) AS jenis_kelamin_known,
       s.pendidikan_raw, pp.category AS pendidikan, coalesce(pp.known, true) AS pendidikan_known,
       s.pekerjaan_raw, pk.category AS pekerjaan, coalesce(pk.known, true) AS pekerjaan_known
FROM stg_skm_src AS s
JOIN answers AS a USING (rn)
JOIN dated AS d USING (rn)
LEFT JOIN ing_skm_units AS u ON u.raw = s.unit_raw
LEFT JOIN svc ON svc.v = s.service_raw
LEFT JOIN ing_skm_profile AS pu ON pu.field = 'umur' AND pu.raw = s.umur_raw
LEFT JOIN ing_skm_profile AS pj ON pj.field = 'jenis_kelamin' AND pj.raw = s.jenis_kelamin_raw
LEFT JOIN ing_skm_profile AS pp ON pp.field = 'pendidikan' AND pp.raw = s.pendidikan_raw
LEFT JOIN ing_skm_profile AS pk ON pk.field = 'pekerjaan' AND pk.raw = s.pekerjaan_raw;

-- ing_errors: one row per problem (rn, field, code, value, other_rn); codes are messages ingest.error.* in
-- base/messages/ingest.toml and skm_ingest.toml. A blank answer, an answer off the scale, an unknown unit, a date
-- that is none or in the future reject the row; an unknown service does not (it is kept without one, warned).
CREATE OR REPLACE TEMP TABLE ing_errors AS
WITH ids AS (
    SELECT rn, respondent_id, min(rn) OVER (PARTITION BY respondent_id) AS first_rn,
           count(*) OVER (PARTITION BY respondent_id) AS n
    FROM stg_skm WHERE respondent_id IS NOT NULL
)
SELECT rn, 'unit' AS field, CASE WHEN unit_raw IS NULL THEN 'missing_value' ELSE 'skm_unknown_unit' END AS code,
       unit_raw AS value, NULL::BIGINT AS other_rn
FROM stg_skm WHERE unit_code IS NULL
UNION ALL
SELECT rn, 'submitted_at',
       CASE WHEN submitted_raw IS NULL THEN 'missing_value' WHEN order_conflict THEN 'skm_date_order_conflict'
            WHEN submitted_at IS NULL THEN 'skm_bad_date' ELSE 'future_timestamp' END, submitted_raw, NULL
FROM stg_skm WHERE submitted_at IS NULL OR submitted_at > $now OR order_conflict
UNION ALL
SELECT rn, field, problem, raw, NULL FROM stg_skm_answers WHERE problem IS NOT NULL
UNION ALL
SELECT rn, 'respondent_id', 'skm_duplicate_respondent', respondent_id,
       CASE WHEN rn = first_rn THEN (SELECT min(o.rn) FROM ids AS o WHERE o.respondent_id = ids.respondent_id
                                                                       AND o.rn > ids.rn)
            ELSE first_rn END
FROM ids WHERE n > 1;
