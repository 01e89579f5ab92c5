-- Parsing helpers for uploads (temp macros: they live only on the loading connection).
-- ing_city_offset() = the city's offset from UTC in minutes, from city.toml's `timezone` ({offset_minutes} is filled
-- in by etl.ingest.read.parse_macros() before this file runs, as is the zone's IANA name).
CREATE OR REPLACE TEMP MACRO ing_city_offset() AS {offset_minutes};
-- ing_ts(text) -> naive local TIMESTAMP (the city's wall-clock time) or NULL. Accepts, day first, never month first:
--   ISO 'YYYY-MM-DD[ T]HH:MM[:SS[.fff]]' and 'YYYY-MM-DD' (the city's local time); with an offset or 'Z' it is
--   converted to the city's local time; 'DD/MM/YYYY HH:MM[:SS]', 'DD/MM/YYYY', 'DD-MM-YYYY[ HH:MM[:SS]]'; Excel
--   serial day numbers (1900 date system).
CREATE OR REPLACE TEMP MACRO ing_ts_local(s) AS try_strptime(s, [
    '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M:%S.%f',
    '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%d', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y', '%d-%m-%Y %H:%M:%S',
    '%d-%m-%Y %H:%M', '%d-%m-%Y', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M', '%d.%m.%Y']);

CREATE OR REPLACE TEMP MACRO ing_ts_any(s) AS
    CASE
        WHEN regexp_matches(s, '\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$') THEN
            ing_ts_local(trim(regexp_replace(s, '(Z|[+-]\d\d(:?\d\d)?)$', '')))
            + to_minutes(ing_city_offset())
            - to_minutes(CASE WHEN s[-1:] = 'Z' THEN 0 ELSE
                (CASE WHEN regexp_extract(s, '([+-])\d\d(:?\d\d)?$', 1) = '-' THEN -1 ELSE 1 END)
                * (TRY_CAST(regexp_extract(s, '[+-](\d\d)(:?(\d\d))?$', 1) AS INTEGER) * 60
                   + coalesce(TRY_CAST(regexp_extract(s, '[+-](\d\d)(:?(\d\d))?$', 3) AS INTEGER), 0)) END)
        WHEN regexp_matches(s, '^\d{5}(\.\d+)?$') THEN
            TIMESTAMP '1899-12-30' + to_microseconds(round(TRY_CAST(s AS DOUBLE) * 86400000000)::BIGINT)
        ELSE ing_ts_local(s)
    END;
-- ing_ts_offset(text): an ISO timestamp with an offset or 'Z', as the city's local time (ICU's time zones; the zone
-- {zone} is filled in with the offset above). One strptime: the regular expressions of ing_ts_any cost far more.
CREATE OR REPLACE TEMP MACRO ing_ts_offset(s) AS timezone('{zone}', try_strptime(
    CASE WHEN s[-1:] = 'Z' THEN s[:-1] || '+00:00' ELSE s END,
    ['%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%d %H:%M:%S%z', '%Y-%m-%dT%H:%M:%S.%f%z', '%Y-%m-%d %H:%M:%S.%f%z',
     '%Y-%m-%dT%H:%M%z', '%Y-%m-%d %H:%M%z']));
-- the canonical form first: one cheap attempt for the common case; then an offset; the rest only for what is left
CREATE OR REPLACE TEMP MACRO ing_ts(s) AS coalesce(try_strptime(s, '%Y-%m-%d %H:%M:%S'), ing_ts_offset(s),
                                                   ing_ts_any(trim(s)));
-- ing_open_status(code): a status that is not done yet (its completion time, if any, is not one)
CREATE OR REPLACE TEMP MACRO ing_open_status(code) AS coalesce(code IN ('open', 'in_progress'), false);

-- ing_num(text) -> DOUBLE or NULL; decimal comma accepted ('3,5912'), thousands dots with it ('1.234,5').
CREATE OR REPLACE TEMP MACRO ing_num(s) AS CASE
    WHEN s IS NULL THEN NULL
    WHEN contains(s, ',') AND regexp_matches(s, '^\s*-?[\d,]+\.\d+\s*$') THEN TRY_CAST(replace(s, ',', '') AS DOUBLE)
    WHEN contains(s, ',') THEN TRY_CAST(replace(replace(trim(s), '.', ''), ',', '.') AS DOUBLE)
    ELSE TRY_CAST(trim(s) AS DOUBLE)
END;

-- ing_num_dc(text): for files that write decimal commas: every '.' is a thousands separator ('21.345' = 21345).
CREATE OR REPLACE TEMP MACRO ing_num_dc(s) AS TRY_CAST(replace(replace(trim(s), '.', ''), ',', '.') AS DOUBLE);

-- ing_key(text): how names are compared: lower case, single spaces, without a leading 'Kec.' / 'Kecamatan'.
CREATE OR REPLACE TEMP MACRO ing_key(s) AS
    trim(regexp_replace(regexp_replace(lower(trim(s)), '^(kecamatan|kec\.?)\s*', ''), '\s+', ' ', 'g'));

-- ing_mask(text): anything that looks like a NIK (16 digits, or Excel's 3.27306E+15) is masked.
CREATE OR REPLACE TEMP MACRO ing_mask(s) AS
    regexp_replace(regexp_replace(s, '\d{16}', '[NIK]', 'g'), '\d\.\d+[eE]\+15', '[NIK]', 'g');

-- ing_clip(text): a value quoted in an error message: masked and kept short.
CREATE OR REPLACE TEMP MACRO ing_clip(s) AS
    CASE WHEN length(ing_mask(s)) > 60 THEN left(ing_mask(s), 57) || '...' ELSE ing_mask(s) END;

-- ing_period(text) -> DATE (first day of the month) or NULL. 'YYYY-MM', a date (its month), 'MM/YYYY',
-- month names in English or Indonesian ('Jan-22', 'Mei 2023', 'Agustus 2024').
CREATE OR REPLACE TEMP MACRO ing_month_no(tok) AS coalesce(
    nullif(list_position(['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
                         left(tok, 3)), 0),
    nullif(list_position(['jan', 'feb', 'mar', 'apr', 'mei', 'jun', 'jul', 'agu', 'sep', 'okt', 'nov', 'des'],
                         left(tok, 3)), 0),
    CASE WHEN left(tok, 3) = 'agt' THEN 8 END);
CREATE OR REPLACE TEMP MACRO ing_period(s) AS coalesce(
    try_strptime(trim(s), ['%Y-%m', '%Y/%m', '%m/%Y', '%m-%Y', '%Y%m'])::DATE,
    date_trunc('month', try_strptime(trim(s), ['%Y-%m-%d', '%d/%m/%Y', '%d-%m-%Y', '%Y-%m-%d %H:%M:%S']))::DATE,
    CASE WHEN regexp_matches(lower(trim(s)), '^[a-z]+[\s\-/\.]*(\d{2}|\d{4})$')
         THEN make_date(
             CASE WHEN length(regexp_extract(trim(s), '(\d+)$', 1)) = 2
                  THEN 2000 + regexp_extract(trim(s), '(\d+)$', 1)::INTEGER
                  ELSE regexp_extract(trim(s), '(\d+)$', 1)::INTEGER END,
             ing_month_no(regexp_extract(lower(trim(s)), '^([a-z]+)', 1)), 1) END);

-- ing_not_month(text): a period that is a quarter, a year, a semester or a range, not one month.
CREATE OR REPLACE TEMP MACRO ing_not_month(s) AS regexp_matches(lower(trim(s)),
    '(\.\.|^\d{4}$|q[1-4]|triwulan|kuartal|quarter|semester|\d{4}-\d\d\s*(-|–|to|s/?d)\s*\d{4}-\d\d|^\d{4}\s*-\s*\d{4}$)');
