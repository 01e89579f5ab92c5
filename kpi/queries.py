"""Read-side layer: queries behind the charts and tables (aggregated in SQL; pages never see raw rows)."""

from __future__ import annotations

import pandas as pd

from kpi.db import Reader


def load_history(r: Reader, limit: int = 200) -> pd.DataFrame:
    """The audit trail, newest first."""
    return r.df(
        """
        SELECT load_id, dataset, file_name, sha256, mode, rows_read, rows_loaded, rows_rejected, status, loaded_at, source
        FROM loads ORDER BY load_id DESC LIMIT $limit
        """,
        {"limit": limit},
    )
