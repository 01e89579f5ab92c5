"""ETL layer: undo a load — restore the before-images it saved, remove its rows, keep its audit row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from base.clock import now_local
from base.i18n import t
from etl.store import mark_touched, refresh_marts, write_transaction

TABLES = {"service_requests": ("fct_service_requests", "undo_service_requests", "request_id"),
          "tourism": ("fct_tourism_monthly", "undo_tourism_monthly", "(indicator, area, period)"),
          "programmes": ("fct_programmes", "undo_programmes", "(programme_id, period)"),
          "skm": ("fct_skm_responses", "undo_skm_responses", "(unit_code, submitted_at)"),
          "skm_actions": ("fct_skm_actions", "undo_skm_actions", "(unit_code, period, unsur, lower(action))")}


@dataclass
class RollbackResult:
    ok: bool
    code: str                      # done | not_found | not_loaded | dependent (messages ingest.rollback.*)
    load_id: int
    values: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return t(f"ingest.rollback.{self.code}", lang, load_id=self.load_id, **self.values)


class _Refused(Exception):
    def __init__(self, result: RollbackResult) -> None:
        super().__init__(result.code)
        self.result = result


def dependents(con: Any, load_id: int, dataset: str, mode: str) -> list[int]:
    """Later, still-loaded loads of the same dataset that touched rows this load wrote or replaced."""
    fct, undo, key = TABLES[dataset]
    later = [r[0] for r in con.execute(
        "SELECT load_id, mode FROM loads WHERE dataset = $d AND load_id > $id AND status = 'loaded' ORDER BY load_id",
        {"d": dataset, "id": load_id}).fetchall()]
    out = []
    for other in later:
        other_mode = con.execute("SELECT mode FROM loads WHERE load_id = $id", {"id": other}).fetchone()[0]
        if other_mode == "replace" or mode == "replace":
            out.append(other)
            continue
        # `other` overwrote rows of this load, or wrote keys whose earlier version this load's undo holds
        hit = con.execute(
            f"""SELECT EXISTS (SELECT 1 FROM {undo} WHERE undo_load_id = $other AND load_id = $id)
                    OR EXISTS (SELECT 1 FROM {fct} WHERE load_id = $other
                               AND {key} IN (SELECT {key} FROM {undo} WHERE undo_load_id = $id))""",
            {"other": other, "id": load_id},
        ).fetchone()[0]
        if hit:
            out.append(other)
    return out


def rollback(db: Path, load_id: int) -> RollbackResult:
    """Undo `load_id` if nothing later depends on it; the database is unchanged when refused."""
    try:
        with write_transaction(Path(db), refresh=False) as con:
            row = con.execute("SELECT dataset, status, mode, detail FROM loads WHERE load_id = $id",
                              {"id": load_id}).fetchone()
            if row is None:
                raise _Refused(RollbackResult(False, "not_found", load_id))
            dataset, status, mode, detail = row
            if status != "loaded" or dataset not in TABLES:
                raise _Refused(RollbackResult(False, "not_loaded", load_id, {"status": status}))
            later = dependents(con, load_id, dataset, mode)
            if later:
                raise _Refused(RollbackResult(False, "dependent", load_id,
                                              {"later": ", ".join(str(x) for x in later)}))
            fct, undo, _key = TABLES[dataset]
            if dataset == "service_requests":
                mark_touched(con, load_id)  # before the delete: the days of both versions
            removed = con.execute(f"DELETE FROM {fct} WHERE load_id = $id", {"id": load_id}).fetchone()[0]
            cols = [r[0] for r in con.execute(f"DESCRIBE {fct}").fetchall()]
            restored = con.execute(
                f"INSERT INTO {fct} SELECT {', '.join(cols)} FROM {undo} WHERE undo_load_id = $id",
                {"id": load_id}).fetchone()[0]
            con.execute(f"DELETE FROM {undo} WHERE undo_load_id = $id", {"id": load_id})
            note = json.loads(detail or "{}")
            note["rolled_back_at"] = now_local().isoformat(sep=" ")
            note["rollback"] = {"removed": int(removed), "restored": int(restored)}
            con.execute("UPDATE loads SET status = 'rolled_back', detail = $d WHERE load_id = $id",
                        {"d": json.dumps(note, ensure_ascii=False), "id": load_id})
            if dataset == "service_requests":
                refresh_marts(con, only_touched=mode != "replace")
    except _Refused as exc:
        return exc.result
    return RollbackResult(True, "done", load_id, {"removed": int(removed), "restored": int(restored)})
