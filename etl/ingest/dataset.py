"""ETL layer: what a dataset module (service_requests, tourism, …) offers the load pipeline in etl/ingest/core.py.

Each dataset is a module meeting this protocol; core.py runs the stages in one direction —
sniff → read → map → stage → validate → write — and calls the dataset at `stage`, `validate` (through the
temp tables its staging made: ing_errors, ing_repeats) and `write`.

Optional, for a dataset that needs them (the survey, etl/ingest/skm.py); the others leave them out:
- `read_header(con, header, options) -> mapping.HeaderReading`: its own header reading instead of the alias lookup
  (it may read ing_raw and the load options); `missing_required` finds what it kept in `Mapping.detail`;
- `problem_values(field, m) -> dict`: more placeholders for a row's error message ({element}, {words});
- `DATE_ORDER_PER_FILE = True`: dates with slashes are read day or month first, decided once per file.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb

from etl.ingest.mapping import Mapping
from etl.ingest.result import Problem
from etl.ingest.sniff import Sniffed


class Dataset(Protocol):
    FIELDS: dict[str, tuple[str, ...]]   # canonical field -> accepted headers (after mapping.norm_header)
    MODES: tuple[str, ...]               # the load modes it accepts, the default first
    REFRESH_MARTS: bool                  # whether the request marts derive from it

    def uses_extra_columns(self, header: str) -> bool:
        """Whether a column the mapping did not take is read anyway (a wide layout's value columns)."""
        ...

    def column_label(self, field: str, m: Mapping, header: list[str]) -> str:
        """The file's own name for the column a field (or an error) refers to."""
        ...

    def missing_required(self, con: duckdb.DuckDBPyConnection, m: Mapping, header: list[str],
                         options: dict[str, Any]) -> list[Problem]:
        """What the file lacks to be loaded at all (a required column, a layout)."""
        ...

    def stage(self, con: duckdb.DuckDBPyConnection, m: Mapping, s: Sniffed, *, now: object, append: bool,
              options: dict[str, Any]) -> dict[str, Any]:
        """Typed staging and the validation tables ing_errors and ing_repeats; returns rows_read, repeats,
        warnings, layout, date_order."""
        ...

    def write(self, con: duckdb.DuckDBPyConnection, load_id: int, mode: str) -> int:
        """Write the valid staged rows (keeping before-images for rollback); returns the rows written."""
        ...

    def fast_write(self, con: duckdb.DuckDBPyConnection, s: Sniffed, m: Mapping, load_id: int, mode: str, *,
                   now: object) -> tuple[int, list[Problem]] | None:
        """One pass straight into the facts: the rows written and the row-level warnings, the same as the full
        path's; None (nothing written) when the full path must run."""
        ...

    def fast_warnings(self, m: Mapping) -> list[Problem]:
        """Warnings that follow from the mapping alone (both paths give them)."""
        ...

    def date_order(self, con: duckdb.DuckDBPyConnection, column: str) -> str | None:
        """How the file writes its dates (for the preview and the result)."""
        ...
