-- Analyst-facing names (the database contract in data/README.md). Re-created by every build and upgrade.
CREATE OR REPLACE VIEW kecamatan AS
    SELECT kecamatan_code, name, population, population_year, area_km2, lat, lon FROM dim_kecamatan;
CREATE OR REPLACE VIEW services AS
    SELECT service_code, name_id, name_en, category, sla_value, sla_unit, sla_source FROM dim_service;
CREATE OR REPLACE VIEW channels AS
    SELECT channel, name_id, name_en FROM dim_channel;
CREATE OR REPLACE VIEW working_days AS
    SELECT day, is_working_day, name_id AS name FROM dim_calendar;
CREATE OR REPLACE VIEW service_requests AS
    SELECT request_id, service_code, kecamatan_code, channel, submitted_at, completed_at, status, lat, lon, load_id,
           due_at
    FROM ({requests});
CREATE OR REPLACE VIEW tourism_monthly AS
    SELECT indicator, area, period, value, unit, source, load_id FROM fct_tourism_monthly;
