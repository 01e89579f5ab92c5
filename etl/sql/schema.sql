-- Pantau database schema. Run once on an empty database by etl.store.
-- All timestamps are the city's local wall-clock time (city.toml `timezone`; Indonesia keeps no
-- daylight saving), stored without offset.

-- Reference data: the city pack (data/reference/<city>/), reloaded on every build.
CREATE TABLE dim_kecamatan (
    kecamatan_code    VARCHAR PRIMARY KEY,   -- Kemendagri code, e.g. 12.71.11
    name              VARCHAR NOT NULL,      -- official name
    bps_code          VARCHAR NOT NULL,
    n_kelurahan       INTEGER,
    area_km2          DOUBLE,
    lat               DOUBLE,
    lon               DOUBLE,
    population        INTEGER,
    population_year   VARCHAR,
    population_source VARCHAR
);

CREATE TABLE dim_service (
    service_code VARCHAR PRIMARY KEY,
    name_id      VARCHAR NOT NULL,
    name_en      VARCHAR NOT NULL,
    category     VARCHAR NOT NULL,
    sla_value    DOUBLE NOT NULL,     -- the service standard: N ...
    sla_unit     VARCHAR NOT NULL,    -- ... hours | working_days | calendar_days (deadlines: data/README.md)
    sla_source   VARCHAR
);

CREATE TABLE dim_channel (
    channel VARCHAR PRIMARY KEY,
    name_id VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    since   DATE,
    aliases VARCHAR               -- other spellings an upload may use, separated by '|'
);

CREATE TABLE dim_status (
    status  VARCHAR PRIMARY KEY,  -- open | in_progress | completed | rejected
    name_id VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    aliases VARCHAR               -- other spellings an upload may use, separated by '|'
);

-- The city's calendar (base/calendar.py): every day from the first request to a year past the latest.
CREATE TABLE dim_calendar (
    day            DATE PRIMARY KEY,
    is_working_day BOOLEAN NOT NULL,
    name_id        VARCHAR,        -- the holiday, cuti bersama or pack day, in Indonesian
    name_en        VARCHAR,
    kind           VARCHAR NOT NULL,  -- weekday | weekend | holiday | joint_leave | pack_holiday | pack_workday
    working_day_no BIGINT NOT NULL    -- working days up to and including this day (numbers the working days)
);

-- The deadline of a request submitted on `day`, for each service whose standard counts days (not hours).
CREATE TABLE dim_deadline (
    service_code VARCHAR NOT NULL,
    day          DATE NOT NULL,
    due_at       TIMESTAMP           -- NULL when it falls past the end of the calendar
);

CREATE TABLE dim_category (
    category VARCHAR PRIMARY KEY,
    name_id  VARCHAR NOT NULL,
    name_en  VARCHAR NOT NULL
);

-- The city's public-service units (the pack's units.csv; base/units.py): kantor camat, dinas, the service mall.
CREATE TABLE dim_unit (
    unit_code      VARCHAR PRIMARY KEY,
    name_id        VARCHAR NOT NULL,
    name_en        VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,   -- kecamatan | dinas | mpp
    kecamatan_code VARCHAR,            -- NULL: a city-wide unit
    services       VARCHAR,            -- '|'-separated service codes; NULL: every service
    channels       VARCHAR,            -- '|'-separated channel codes; NULL: every channel
    aliases        VARCHAR             -- other names a file may use, separated by '|'
);

-- Grain: one row per unit x (kecamatan, service, channel) its scope holds. `responsible` marks the one unit that
-- answers for requests of that combination: the most specific (base/units.py). The pack loader refuses a pack where
-- two units would be equally specific, so each combination has at most one responsible unit.
CREATE TABLE dim_unit_scope (
    unit_code      VARCHAR NOT NULL,
    kecamatan_code VARCHAR NOT NULL,
    service_code   VARCHAR NOT NULL,
    channel        VARCHAR NOT NULL,
    responsible    BOOLEAN NOT NULL
);

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,   -- from the city pack's city.toml
    value VARCHAR NOT NULL
);

-- Audit trail: one row per load attempt, written even when the file is rejected.
CREATE SEQUENCE seq_load_id START 1;
CREATE TABLE loads (
    load_id       BIGINT PRIMARY KEY,
    dataset       VARCHAR NOT NULL,   -- service_requests | tourism
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR,
    mode          VARCHAR NOT NULL,   -- append | upsert | replace | sample
    rows_read     BIGINT NOT NULL DEFAULT 0,
    rows_loaded   BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    status        VARCHAR NOT NULL,   -- loaded | rejected | rolled_back
    loaded_at     TIMESTAMP NOT NULL, -- the city's local time
    source        VARCHAR,            -- 'sample' for generated data, else 'upload' | 'cli'
    detail        VARCHAR             -- JSON: warnings, dropped columns, rollback note
);

CREATE TABLE rejects (
    load_id BIGINT NOT NULL,
    line    BIGINT,           -- 1-based physical line, header = line 1
    reason  VARCHAR NOT NULL,
    raw     VARCHAR           -- the line as read, with personal-data columns removed
);

-- Facts. Kept ordered by submitted_at / period so DuckDB's zone maps prune date filters.
CREATE TABLE fct_service_requests (
    request_id     VARCHAR NOT NULL,
    service_code   VARCHAR NOT NULL,
    kecamatan_code VARCHAR NOT NULL,
    channel        VARCHAR NOT NULL,
    submitted_at   TIMESTAMP NOT NULL,
    completed_at   TIMESTAMP,          -- NULL while open
    status         VARCHAR NOT NULL,   -- open | in_progress | completed | rejected
    lat            DOUBLE,
    lon            DOUBLE,
    load_id        BIGINT NOT NULL
);

CREATE TABLE fct_tourism_monthly (
    indicator VARCHAR NOT NULL,   -- wisman_visits | tpk_star_hotels_pct | wisnus_trips | ...
    area      VARCHAR NOT NULL,
    period    DATE NOT NULL,      -- first day of the month
    value     DOUBLE NOT NULL,
    unit      VARCHAR NOT NULL,
    source    VARCHAR NOT NULL,   -- 'sample: …' for generated rows
    load_id   BIGINT NOT NULL
);

-- Before-images for undo: the rows a load replaced or updated, so rollback restores them exactly.
CREATE TABLE undo_service_requests AS SELECT * FROM fct_service_requests WITH NO DATA;
ALTER TABLE undo_service_requests ADD COLUMN undo_load_id BIGINT;
CREATE TABLE undo_tourism_monthly AS SELECT * FROM fct_tourism_monthly WITH NO DATA;
ALTER TABLE undo_tourism_monthly ADD COLUMN undo_load_id BIGINT;
