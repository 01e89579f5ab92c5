-- The community satisfaction survey (SKM, Permenpan RB 14/2017): datasets `skm` (one row per respondent) and
-- `skm_actions` (the follow-up plan). Run by every build, refresh and upgrade (etl.store.write_views) and before every
-- skm / skm_actions load, so a database made by an older release gets them too; every statement is a no-op on a
-- current database.
--
-- fct_skm_responses grain: one row per respondent (one questionnaire). Nothing personal is stored: no name, NIK,
-- address, phone, e-mail or free text; the profile columns are categories, shown only as aggregates.
-- u1..u9 are the answers 1-4 to the nine elements (unsur) in the regulation's order:
--   u1 persyaratan; u2 sistem, mekanisme dan prosedur; u3 waktu penyelesaian; u4 biaya/tarif; u5 produk spesifikasi
--   jenis pelayanan; u6 kompetensi pelaksana; u7 perilaku pelaksana; u8 penanganan pengaduan, saran dan masukan;
--   u9 sarana dan prasarana.
CREATE TABLE IF NOT EXISTS fct_skm_responses (
    respondent_id  VARCHAR,             -- the file's own id, when it has one (unique within a file)
    unit_code      VARCHAR NOT NULL,    -- dim_unit: the service unit the respondent judged
    service_code   VARCHAR,             -- dim_service; NULL when the form named none or one the pack does not know
    submitted_at   TIMESTAMP NOT NULL,  -- the city's local time
    u1 TINYINT NOT NULL, u2 TINYINT NOT NULL, u3 TINYINT NOT NULL, u4 TINYINT NOT NULL, u5 TINYINT NOT NULL,
    u6 TINYINT NOT NULL, u7 TINYINT NOT NULL, u8 TINYINT NOT NULL, u9 TINYINT NOT NULL,
    umur           VARCHAR,             -- age band (e.g. '20-29'), a category
    jenis_kelamin  VARCHAR,             -- 'L' | 'P'
    pendidikan     VARCHAR,             -- a category (e.g. 'SMA', 'S1')
    pekerjaan      VARCHAR,             -- a category (e.g. 'PNS', 'Swasta')
    load_id        BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS undo_skm_responses AS
    SELECT *, NULL::BIGINT AS undo_load_id FROM fct_skm_responses WITH NO DATA;

-- fct_skm_actions grain: one row per follow-up action (rencana tindak lanjut) of a unit for a survey period.
CREATE TABLE IF NOT EXISTS fct_skm_actions (
    unit_code  VARCHAR NOT NULL,   -- dim_unit
    period     VARCHAR NOT NULL,   -- the survey period it answers: 'YYYY-S1' | 'YYYY-S2' | 'YYYY-Qn' | 'YYYY'
    unsur      VARCHAR NOT NULL,   -- 'U1' .. 'U9' (the regulation's order, as u1..u9 above)
    action     VARCHAR NOT NULL,
    owner      VARCHAR,
    due_date   DATE,
    status     VARCHAR NOT NULL,   -- planned | in_progress | done
    done_date  DATE,               -- set when status = 'done'
    load_id    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS undo_skm_actions AS
    SELECT *, NULL::BIGINT AS undo_load_id FROM fct_skm_actions WITH NO DATA;
