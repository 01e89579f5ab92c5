-- stg_service_requests: one row per data record of an uploaded service-request file (rn = record order in the file).
-- Staging only renames, casts (ing_ts: naive local time; ing_num: decimal comma) and resolves names to codes through
-- the ing_*_alias lookups. The braced names are column identifiers c1..cN (or NULL) chosen by etl/ingest/mapping.py.
CREATE OR REPLACE TEMP TABLE stg_service_requests AS
WITH src AS (
    SELECT rowid AS rn,
           nullif(trim({request_id}), '') AS request_id,
           {service_code}::VARCHAR AS service_raw,
           {kecamatan_code}::VARCHAR AS kecamatan_raw,
           {channel}::VARCHAR AS channel_raw,
           {submitted_at}::VARCHAR AS submitted_raw,
           {completed_at}::VARCHAR AS completed_raw,
           {status}::VARCHAR AS status_raw,
           {lat}::VARCHAR AS lat_raw,
           {lon}::VARCHAR AS lon_raw
    FROM ing_raw
    WHERE {not_empty}  -- DuckDB reads empty fields as NULL; parsers below trim what they need
)
-- Names are resolved once per distinct value (a file has a few dozen), not once per row.
, svc AS (SELECT v, a.code FROM (SELECT DISTINCT {service_code}::VARCHAR AS v FROM ing_raw) LEFT JOIN ing_service_alias AS a
                                                                          ON a.key = ing_key(v))
, kec AS (SELECT v, a.code FROM (SELECT DISTINCT {kecamatan_code}::VARCHAR AS v FROM ing_raw) LEFT JOIN ing_kecamatan_alias AS a
                                                                            ON a.key = ing_key(v))
, ch AS (SELECT v, a.code FROM (SELECT DISTINCT {channel}::VARCHAR AS v FROM ing_raw) LEFT JOIN ing_channel_alias AS a
                                                                         ON a.key = ing_key(v))
, st AS (SELECT v, a.code FROM (SELECT DISTINCT {status}::VARCHAR AS v FROM ing_raw) LEFT JOIN ing_status_alias AS a
                                                                        ON a.key = ing_key(v))
-- A missing channel (no column, or an empty cell) is `unknown`: no KPI needs it. A status that is not done with a
-- time in the completion column (Open311's updated_datetime is the last update) keeps no completion time.
SELECT src.* REPLACE (CASE WHEN ing_open_status(st.code) THEN NULL ELSE completed_raw END AS completed_raw),
       completed_raw AS completed_given,
       svc.code AS service_code,
       kec.code AS kecamatan_code,
       CASE WHEN channel_raw IS NULL THEN 'unknown' ELSE ch.code END AS channel,
       ing_ts(submitted_raw) AS submitted_at,
       CASE WHEN ing_open_status(st.code) THEN NULL ELSE ing_ts(completed_raw) END AS completed_at,
       CASE WHEN status_raw IS NULL THEN (CASE WHEN completed_raw IS NULL THEN 'open' ELSE 'completed' END)
            ELSE st.code END AS status,
       ing_num(lat_raw) AS lat,
       ing_num(lon_raw) AS lon
FROM src
LEFT JOIN svc ON svc.v = src.service_raw
LEFT JOIN kec ON kec.v = src.kecamatan_raw
LEFT JOIN ch ON ch.v = src.channel_raw
LEFT JOIN st ON st.v = src.status_raw;

CREATE OR REPLACE TEMP TABLE ing_repeated_ids AS
SELECT request_id FROM stg_service_requests WHERE request_id IS NOT NULL GROUP BY request_id HAVING count(*) > 1;

-- ing_errors: one row per problem (rn, field, code, value, other_rn). Codes are messages in kpi/messages/ingest.toml.
CREATE OR REPLACE TEMP TABLE ing_errors AS
WITH dup AS (
    SELECT request_id, min(rn) AS first_rn,
           count(DISTINCT hash(service_code, kecamatan_code, channel, submitted_at, completed_at, status, lat, lon,
                               service_raw, kecamatan_raw, channel_raw, submitted_raw, completed_raw)) AS variants
    FROM stg_service_requests
    WHERE request_id IN (SELECT request_id FROM ing_repeated_ids)
    GROUP BY request_id
)
SELECT rn, 'request_id' AS field, 'missing_value' AS code, NULL AS value, NULL::BIGINT AS other_rn
FROM stg_service_requests WHERE request_id IS NULL
UNION ALL
SELECT rn, 'service_code', CASE WHEN service_raw IS NULL THEN 'missing_value' ELSE 'unknown_service' END, service_raw,
       NULL
FROM stg_service_requests WHERE service_code IS NULL
UNION ALL
SELECT rn, 'kecamatan_code', CASE WHEN kecamatan_raw IS NULL THEN 'missing_value' ELSE 'unknown_kecamatan' END,
       kecamatan_raw, NULL
FROM stg_service_requests WHERE kecamatan_code IS NULL
UNION ALL
SELECT rn, 'channel', 'unknown_channel', channel_raw, NULL
FROM stg_service_requests WHERE channel IS NULL
UNION ALL
SELECT rn, 'submitted_at',
       CASE WHEN submitted_raw IS NULL THEN 'missing_value' WHEN submitted_at IS NULL THEN 'bad_timestamp'
            ELSE 'future_timestamp' END, submitted_raw, NULL
FROM stg_service_requests WHERE submitted_at IS NULL OR submitted_at > $now
UNION ALL
SELECT rn, 'completed_at',
       CASE WHEN completed_at IS NULL THEN 'bad_timestamp' WHEN completed_at > $now THEN 'future_timestamp'
            ELSE 'completed_before_submitted' END, completed_raw, NULL
FROM stg_service_requests
WHERE completed_raw IS NOT NULL AND (completed_at IS NULL OR completed_at > $now OR completed_at < submitted_at)
UNION ALL
SELECT rn, 'status', 'unknown_status', status_raw, NULL FROM stg_service_requests WHERE status IS NULL
UNION ALL
SELECT rn, 'completed_at', 'completed_without_time', NULL, NULL
FROM stg_service_requests WHERE status = 'completed' AND completed_raw IS NULL
UNION ALL
SELECT rn, 'lat', CASE WHEN lat IS NULL THEN 'bad_number' ELSE 'out_of_range' END, lat_raw, NULL
FROM stg_service_requests WHERE lat_raw IS NOT NULL AND (lat IS NULL OR abs(lat) > 90)
UNION ALL
SELECT rn, 'lon', CASE WHEN lon IS NULL THEN 'bad_number' ELSE 'out_of_range' END, lon_raw, NULL
FROM stg_service_requests WHERE lon_raw IS NOT NULL AND (lon IS NULL OR abs(lon) > 180)
UNION ALL
SELECT s.rn, 'request_id', 'duplicate_conflict', s.request_id,
       CASE WHEN s.rn = dup.first_rn THEN (SELECT min(rn) FROM stg_service_requests AS o
                                         WHERE o.request_id = s.request_id AND o.rn > s.rn)
            ELSE dup.first_rn END
FROM stg_service_requests AS s JOIN dup USING (request_id) WHERE dup.variants > 1
UNION ALL
SELECT s.rn, 'request_id', 'already_loaded', s.request_id, NULL
FROM stg_service_requests AS s
WHERE $append AND s.request_id IN (SELECT request_id FROM fct_service_requests);


-- Exact repeats of a row: the first one stays, the rest are skipped (a warning, not an error).
CREATE OR REPLACE TEMP TABLE ing_repeats AS
SELECT rn FROM stg_service_requests
WHERE request_id IN (SELECT request_id FROM ing_repeated_ids)
QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY rn) > 1;
