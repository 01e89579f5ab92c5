"""The city's public-service units (units.csv): scope, the responsible unit, the names a file may use, and the pack
checks that refuse a tie (base/units.py, written to dim_unit / dim_unit_scope by etl/reference.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from base.settings import PackError
from base.units import UNKNOWN_CHANNEL, Unit, name_keys, pack_name_keys, pack_responsibility, responsibility, units
from etl.build import build
from etl.ops import doctor
from tests.city_packs import SHIPPED, make_pack


def _unit(code: str, kec: str | None = None, services: tuple[str, ...] = (), channels: tuple[str, ...] = (),
          line: int = 2, kind: str = "dinas") -> Unit:
    return Unit(code, f"Unit {code}", f"Unit {code}", "kecamatan" if kec else kind, kec, services, channels, (), line)


CAMAT = _unit("K1", "01", channels=("loket",), line=2)
MPP = _unit("MPP", channels=("mpp",), line=3, kind="mpp")
DUKCAPIL = _unit("DUK", services=("KTP",), line=4)
CITY = _unit("ALL", line=5)


@pytest.mark.parametrize(("request_", "expected"), [
    (("01", "KTP", "loket"), "K1"),      # the kecamatan unit before any city-wide one
    (("01", "KTP", "mpp"), "MPP"),       # channel-limited city-wide before service-limited city-wide
    (("01", "KTP", "online"), "DUK"),    # service-limited before unlimited
    (("01", "PBG", "online"), "ALL"),    # only the unlimited one holds it
    (("02", "KTP", "loket"), "DUK"),     # another kecamatan: K1 does not hold it
    (("01", "PBG", UNKNOWN_CHANNEL), "ALL"),
])
def test_the_most_specific_unit_answers_for_a_request(request_: tuple[str, str, str], expected: str) -> None:
    owner = responsibility([CAMAT, MPP, DUKCAPIL, CITY], ["01", "02"], ["KTP", "PBG"], ["loket", "mpp", "online"])
    assert owner[request_].unit_code == expected


def test_a_request_no_unit_holds_has_none() -> None:
    owner = responsibility([CAMAT], ["01", "02"], ["KTP"], ["loket", "online"])
    assert owner[("02", "KTP", "loket")] is None
    assert owner[("01", "KTP", "loket")].unit_code == "K1"


def test_two_equally_specific_units_are_refused_with_both_lines() -> None:
    other = _unit("DUK2", services=("KTP", "PBG"), line=9)  # service-limited city-wide, like DUK: a tie on KTP
    with pytest.raises(PackError) as exc:
        responsibility([DUKCAPIL, other], ["01"], ["KTP", "PBG"], ["online"])
    text = str(exc.value)
    assert "lines 4 and 9" in text and "'DUK'" in text and "'DUK2'" in text and "KTP" in text


def test_a_kecamatan_unit_and_a_city_unit_never_tie() -> None:
    wide = _unit("W", channels=("loket",), services=("KTP",))   # (0, 1, 1)
    narrow = _unit("N", "01")                                    # (1, 0, 0) wins: kecamatan first
    assert responsibility([wide, narrow], ["01"], ["KTP"], ["loket"])[("01", "KTP", "loket")].unit_code == "N"


def test_names_a_form_writes_for_a_kantor_camat_and_an_office() -> None:
    camat = Unit("12.71.11", "Kantor Camat Medan Johor", "Medan Johor District Office", "kecamatan", "12.71.11", (),
                 (), (), 2)
    dinas = Unit("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", "Civil Registration Office", "dinas", None,
                 (), (), ("Disdukcapil", "Dukcapil"), 3)
    keys = name_keys([camat, dinas], {"12.71.11": "Medan Johor"}, ["Medan"])
    for written in ("Kantor Camat Medan Johor", "Kecamatan Medan Johor", "KEC. MEDAN JOHOR", "medan johor", "Johor",
                    "Camat Johor", "12.71.11"):
        assert keys[_key(written)] == "12.71.11", written
    for written in ("Disdukcapil", "Dinas Kependudukan dan Pencatatan Sipil", "DUKCAPIL", "dinas kependudukan  dan "
                    "pencatatan sipil"):
        assert keys[_key(written)] == "DISDUKCAPIL", written


def test_a_name_two_units_share_is_refused() -> None:
    a = Unit("A", "Dinas A", "Office A", "dinas", None, (), (), ("Kantor",), 2)
    b = Unit("B", "Dinas B", "Office B", "dinas", None, (), (), ("kantor",), 3)
    with pytest.raises(PackError, match=r"line 3.*'kantor'.*names unit 'A'"):
        name_keys([a, b], {}, [])


def test_a_derived_spelling_two_kecamatan_share_names_neither() -> None:
    a = Unit("01", "Kantor Camat Kota Utara", "North", "kecamatan", "01", (), (), (), 2)
    b = Unit("02", "Kantor Camat Desa Utara", "North village", "kecamatan", "02", (), (), (), 3)
    keys = name_keys([a, b], {"01": "Kota Utara", "02": "Desa Utara"}, ["Kota", "Desa"])
    assert "utara" not in keys and keys["kotautara"] == "01" and keys["desautara"] == "02"


def _key(text: str) -> str:
    from base.units import alias_key

    return alias_key(text)


@pytest.mark.parametrize("city", SHIPPED)
def test_every_request_of_a_shipped_pack_has_one_responsible_unit(city: str) -> None:
    owner = pack_responsibility(city)
    assert owner and all(u is not None for u in owner.values())
    listed = units(city)
    kinds = {u.kind for u in listed}
    assert kinds == {"kecamatan", "dinas", "mpp"}
    assert pack_name_keys(city)


def test_a_pack_with_a_tie_is_refused_by_the_build_and_by_doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    rows = [{"unit_code": "A", "name_id": "Dinas A", "name_en": "Office A", "kind": "dinas", "services": "KTP_EL"},
            {"unit_code": "B", "name_id": "Dinas B", "name_en": "Office B", "kind": "dinas", "services": "KTP_EL|KK"}]
    pack = make_pack(tmp_path, units=rows)
    with pytest.raises(PackError, match=r"lines 2 and 3: units 'A' and 'B'"):
        build(tmp_path / "x.duckdb", rows=100, city=str(pack))
    good = make_pack(tmp_path, name="good")
    db = tmp_path / "good.duckdb"
    build(db, rows=2000, city=str(good))
    (good / "units.csv").write_text((pack / "units.csv").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PANTAU_CITY", str(good))
    from base import units as units_module

    units_module._pack_units.cache_clear()
    check = next(c for c in doctor(db) if c.name == "units")
    assert not check.ok and "lines 2 and 3" in check.message


def test_a_pack_leaving_requests_to_no_unit_is_a_warning_in_doctor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                    ) -> None:
    rows = [{"unit_code": "MPP", "name_id": "Mal Pelayanan Publik", "name_en": "Mall", "kind": "mpp",
             "channels": "mpp"}]
    pack = make_pack(tmp_path, units=rows)
    db = tmp_path / "x.duckdb"
    build(db, rows=1000, city=str(pack))
    monkeypatch.setenv("PANTAU_CITY", str(pack))
    check = next(c for c in doctor(db) if c.name == "units")
    assert check.ok and check.warning and "no responsible unit" in check.message
    con = duckdb.connect(str(db), read_only=True)
    try:
        held, orphan = con.execute("SELECT count(*) FILTER (WHERE unit_code = 'MPP'), "
                                   "count(*) FILTER (WHERE unit_code IS NULL) FROM service_requests").fetchone()
        mpp = con.execute("SELECT count(*) FROM service_requests WHERE channel = 'mpp'").fetchone()[0]
    finally:
        con.close()
    assert held == mpp > 0 and orphan > 0


def test_the_database_names_each_requests_responsible_unit(sample_db: Path) -> None:
    """The view service_requests carries unit_code, equal to the rule applied in Python to every combination."""
    owner = pack_responsibility()
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        got = con.execute("SELECT DISTINCT kecamatan_code, service_code, channel, unit_code FROM service_requests"
                          ).fetchall()
        scope_rows = con.execute("SELECT count(*) FROM dim_unit_scope").fetchone()[0]
        n_units = con.execute("SELECT count(*) FROM units").fetchone()[0]
    finally:
        con.close()
    assert got and all(owner[(k, s, c)].unit_code == u for k, s, c, u in got)
    assert n_units == len(units())
    assert scope_rows == sum(1 for key in owner for u in units() if u.holds(*key))
