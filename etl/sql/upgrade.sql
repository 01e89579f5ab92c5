-- A database made by an earlier release, brought to this release's schema (etl/reference.py: upgrade). Every
-- statement is a no-op on a current database. The reference tables are reloaded from the pack afterwards.
DROP VIEW IF EXISTS services;
DROP VIEW IF EXISTS service_requests;
DROP VIEW IF EXISTS channels;
ALTER TABLE dim_service ADD COLUMN IF NOT EXISTS sla_value DOUBLE;
ALTER TABLE dim_service ADD COLUMN IF NOT EXISTS sla_unit VARCHAR;
ALTER TABLE dim_service DROP COLUMN IF EXISTS sla_hours;
ALTER TABLE dim_channel ADD COLUMN IF NOT EXISTS aliases VARCHAR;
CREATE TABLE IF NOT EXISTS dim_status (
    status  VARCHAR PRIMARY KEY,
    name_id VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    aliases VARCHAR
);
CREATE TABLE IF NOT EXISTS dim_calendar (
    day            DATE PRIMARY KEY,
    is_working_day BOOLEAN NOT NULL,
    name_id        VARCHAR,
    name_en        VARCHAR,
    kind           VARCHAR NOT NULL,
    working_day_no BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS dim_deadline (
    service_code VARCHAR NOT NULL,
    day          DATE NOT NULL,
    due_at       TIMESTAMP
);
CREATE TABLE IF NOT EXISTS dim_unit (
    unit_code      VARCHAR PRIMARY KEY,
    name_id        VARCHAR NOT NULL,
    name_en        VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    kecamatan_code VARCHAR,
    services       VARCHAR,
    channels       VARCHAR,
    aliases        VARCHAR
);
CREATE TABLE IF NOT EXISTS dim_unit_scope (
    unit_code      VARCHAR NOT NULL,
    kecamatan_code VARCHAR NOT NULL,
    service_code   VARCHAR NOT NULL,
    channel        VARCHAR NOT NULL,
    responsible    BOOLEAN NOT NULL
);
