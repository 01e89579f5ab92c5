-- Pantau database schema. Run once on an empty database by etl.store.
-- All timestamps are WIB wall-clock time (Asia/Jakarta, UTC+7, no daylight saving), stored without offset.

-- Reference data: the city pack (data/reference/<city>/), reloaded on every build.
CREATE TABLE dim_kecamatan (
    kecamatan_code    VARCHAR PRIMARY KEY,   -- Kemendagri code, e.g. 12.71.11
    name              VARCHAR NOT NULL,      -- official name, e.g. Medan Johor
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
    sla_hours    DOUBLE NOT NULL,     -- service standard: processing hours a request may take
    sla_source   VARCHAR
);

CREATE TABLE dim_channel (
    channel VARCHAR PRIMARY KEY,
    name_id VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    since   DATE
);

CREATE TABLE dim_category (
    category VARCHAR PRIMARY KEY,
    name_id  VARCHAR NOT NULL,
    name_en  VARCHAR NOT NULL
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
    loaded_at     TIMESTAMP NOT NULL, -- WIB
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

-- Analyst-facing names (the database contract in data/README.md).
CREATE VIEW kecamatan AS
    SELECT kecamatan_code, name, population, population_year, area_km2, lat, lon FROM dim_kecamatan;
CREATE VIEW services AS
    SELECT service_code, name_id, name_en, category, sla_hours FROM dim_service;
CREATE VIEW channels AS
    SELECT channel, name_id, name_en FROM dim_channel;
CREATE VIEW service_requests AS
    SELECT request_id, service_code, kecamatan_code, channel, submitted_at, completed_at, status, lat, lon, load_id
    FROM fct_service_requests;
CREATE VIEW tourism_monthly AS
    SELECT indicator, area, period, value, unit, source, load_id FROM fct_tourism_monthly;
