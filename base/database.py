"""Base layer: the one way Pantau opens its database file for reading — a private in-memory DuckDB instance with the
file attached read-only.

Not duckdb.connect(path, read_only=True): within one process that returns the instance already open on the same path
(which may hold a file a load has since replaced, or be configured differently, and then refuses the new config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

ALIAS = "pantau"


def attach_read_only(path: Path | str, config: dict[str, Any] | None = None,
                     after: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose default catalog is the file at `path`, attached read-only.

    `config` is given to the new instance; `after` holds settings applied once the file is attached (a lock on the
    configuration must come last, and attaching is itself file access).
    """
    con = duckdb.connect(":memory:", config=config or {})
    try:
        con.execute(f"ATTACH ? AS {ALIAS} (READ_ONLY)", [str(path)])
        con.execute(f"USE {ALIAS}")
        for key, value in (after or {}).items():
            con.execute(f"SET {key} = {str(value).lower() if isinstance(value, bool) else repr(value)}")
    except BaseException:
        con.close()
        raise
    return con
