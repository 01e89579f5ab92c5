"""Read-side layer: locked-down, read-only access to the database file that etl/ swaps in atomically."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from base.database import ALIAS, attach_read_only
from base.settings import db_path

# The app can read its own database and nothing else: no file access, no extensions, settings frozen.
READ_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "threads": 2,
    "memory_limit": "1GB",
    "lock_configuration": True,
}


# Applied after the file is attached: attaching is itself file access, and the configuration lock must come last.
_AFTER_ATTACH = ("enable_external_access", "lock_configuration")


def _open_locked(path: Path) -> duckdb.DuckDBPyConnection:
    """A private read-only instance of the file, then locked down (base.database.attach_read_only)."""
    return attach_read_only(path, {k: v for k, v in READ_CONFIG.items() if k not in _AFTER_ATTACH},
                            {k: READ_CONFIG[k] for k in _AFTER_ATTACH})


class DataUnavailable(RuntimeError):
    """The database file is missing or cannot be opened."""


class Gate:
    """Queries share the gate; one that has run out of memory beside others waits to run again alone.

    Every query of a Reader shares one memory limit (READ_CONFIG). Two exact quantiles over long windows (a year of a
    100-million-request database: two years of completions each) fit one at a time but not side by side, so a query
    that fails with DuckDB's out-of-memory error is run once more when nothing else runs; queries that arrive
    meanwhile wait for it, so it is not starved.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._alone = False
        self._waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not (self._alone or self._waiting))
            self._running += 1
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not (self._alone or self._running))
            self._waiting -= 1
            self._alone = True
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._cond.notify_all()


class Reader:
    """Read-only view of the database; reopens by itself when a load has swapped in a new file.

    A DuckDB connection is not thread-safe, so every query runs on its own cursor.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else db_path()
        self.gate = Gate()
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None

    def version(self) -> str:
        """Identity of the file now in place: changes with every load (new inode, mtime, size)."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError as exc:
            raise DataUnavailable(str(self.path)) from exc
        return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"

    def _connection(self) -> duckdb.DuckDBPyConnection:
        version = self.version()
        with self._lock:
            if self._con is None or version != self._version:
                try:
                    con = _open_locked(self.path)
                except duckdb.Error as exc:
                    raise DataUnavailable(f"{self.path}: {type(exc).__name__}") from exc
                old, self._con, self._version = self._con, con, version
                if old is not None:
                    # Cursors still running on the old file keep it alive until they finish.
                    del old
            return self._con

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._connection().cursor()
        cur.execute(f"USE {ALIAS}")  # the default catalog is per connection; a cursor starts at the in-memory one
        return cur

    def df(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> pd.DataFrame:
        """Run one parameterised query; values are always bound, never formatted into `sql`."""
        return self._run(sql, params, lambda cur: cur.df())

    def one(self, sql: str, params: dict[str, Any] | list[Any] | None = None) -> tuple[Any, ...]:
        def first(cur: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
            row = cur.fetchone()
            return tuple(row) if row is not None else ()

        return self._run(sql, params, first)

    def _run(self, sql: str, params: dict[str, Any] | list[Any] | None,
             fetch: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        try:
            with self.gate.shared():
                return self._execute(sql, params, fetch)
        except duckdb.OutOfMemoryException:
            with self.gate.alone():
                return self._execute(sql, params, fetch)

    def _execute(self, sql: str, params: dict[str, Any] | list[Any] | None,
                 fetch: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        cur = self._cursor()
        try:
            return fetch(cur.execute(sql, params or {}))
        except duckdb.Error as exc:
            raise _unavailable(self.path, exc) from exc
        finally:
            cur.close()


def _unavailable(path: Path, exc: duckdb.Error) -> Exception:
    """A damaged or truncated file shows up only when a query reads the bad block: report it as unavailable data.

    Any other error (a mistake in a query) is returned unchanged, so it stays visible to developers.
    """
    if isinstance(exc, duckdb.IOException) or "Corrupt database file" in str(exc):
        return DataUnavailable(f"{path}: {type(exc).__name__}")
    return exc
