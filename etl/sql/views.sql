-- Analyst-facing names (the database contract in data/README.md). Re-created by every build and upgrade.
CREATE OR REPLACE VIEW kecamatan AS
    SELECT kecamatan_code, name, population, population_year, area_km2, lat, lon FROM dim_kecamatan;
CREATE OR REPLACE VIEW services AS
    SELECT service_code, name_id, name_en, category, sla_value, sla_unit, sla_source FROM dim_service;
CREATE OR REPLACE VIEW channels AS
    SELECT channel, name_id, name_en FROM dim_channel;
CREATE OR REPLACE VIEW working_days AS
    SELECT day, is_working_day, name_id AS name FROM dim_calendar;
CREATE OR REPLACE VIEW units AS
    SELECT unit_code, name_id, name_en, kind, kecamatan_code, services, channels FROM dim_unit;
CREATE OR REPLACE VIEW service_requests AS
    SELECT r.request_id, r.service_code, r.kecamatan_code, r.channel, r.submitted_at, r.completed_at, r.status, r.lat,
           r.lon, r.load_id, r.due_at, u.unit_code
    FROM ({requests}) AS r
    LEFT JOIN dim_unit_scope AS u
      ON u.responsible AND u.kecamatan_code = r.kecamatan_code AND u.service_code = r.service_code
     AND u.channel = r.channel;
CREATE OR REPLACE VIEW tourism_monthly AS
    SELECT indicator, area, period, value, unit, source, load_id FROM fct_tourism_monthly;
