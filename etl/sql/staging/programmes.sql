-- Parsing macros of the programmes dataset (etl/ingest/programmes.py), beside the shared ones in 000_macros.sql.
-- prg_period(text) -> DATE: the reporting date a period names, its last day.
--   'YYYY-MM-DD' (or DD/MM/YYYY) -> that day; 'YYYY-MM' -> the month's last day; 'YYYY-Qn' (also 'YYYY Qn',
--   'Qn YYYY', 'YYYY-TWn' for triwulan) -> the quarter's last day; 'YYYY' -> 31 Dec. NULL when it is none of these.
CREATE OR REPLACE TEMP MACRO prg_period(s) AS CASE
    WHEN s IS NULL THEN NULL
    WHEN regexp_matches(trim(s), '^\d{4}$') THEN make_date(trim(s)::INTEGER, 12, 31)
    WHEN regexp_matches(upper(trim(s)), '^\d{4}\s*[-/ ]?\s*(Q|TW)[1-4]$') THEN
        last_day(make_date(left(trim(s), 4)::INTEGER, 3 * right(trim(s), 1)::INTEGER, 1))
    WHEN regexp_matches(upper(trim(s)), '^(Q|TW)[1-4]\s*[-/ ]?\s*\d{4}$') THEN
        last_day(make_date(right(trim(s), 4)::INTEGER,
                           3 * regexp_extract(upper(trim(s)), '^(Q|TW)([1-4])', 2)::INTEGER, 1))
    WHEN regexp_matches(trim(s), '^\d{4}-\d{1,2}$') THEN
        last_day(try_strptime(trim(s) || '-01', '%Y-%m-%d')::DATE)
    ELSE try_strptime(trim(s), ['%Y-%m-%d', '%d/%m/%Y', '%d-%m-%Y', '%Y-%m-%d %H:%M:%S'])::DATE
END;
-- prg_year(text) -> INTEGER year 1900..2100, or NULL ('2024', '2024.0' from a spreadsheet).
CREATE OR REPLACE TEMP MACRO prg_year(s) AS CASE
    WHEN regexp_matches(trim(s), '^\d{4}(\.0+)?$') AND left(trim(s), 4)::INTEGER BETWEEN 1900 AND 2100
    THEN left(trim(s), 4)::INTEGER END;
