"""App layer: the steps of the upload page that hold widgets — the file received, its preview and the editable
mapping — so the page itself reads as the analyst's steps."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app.widgets import plain
from base.i18n import t
from etl.ingest import DATASETS
from etl.ingest.preview import preview

MAX_MB = 200
TYPES = ["csv", "tsv", "txt", "xlsx"]


def received_file(language: str) -> tuple[Path, str] | None:
    """The uploaded file, copied once to a private temp folder: (path, the name the analyst gave it)."""
    up = st.file_uploader(t("upload.file", language, mb=MAX_MB), type=TYPES, key="upload_file")
    if up is None:
        return None
    if up.size > MAX_MB * 2**20:
        st.error(t("upload.too_big", language, mb=MAX_MB))
        return None
    folder = Path(tempfile.gettempdir()) / "pantau-uploads"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{up.file_id}{Path(up.name).suffix.lower()}"
    if not path.exists():
        path.write_bytes(up.getvalue())
    return path, up.name


def preview_and_mapping(path: Path, dataset: str, language: str) -> tuple[dict[str, str | None], dict[str, Any]] | None:
    """What the file looks like (encoding, delimiter, date order, first rows, dropped personal-data columns) and the
    column mapping the analyst may change; returns (mapping, load options), or None when the file cannot be read."""
    pv = preview(path, dataset)
    st.subheader(t("upload.preview", language))
    if pv.error:
        st.error(plain(f"{t('upload.file_error', language)}: "
                       f"{t('ingest.error.' + pv.error, language, **pv.error_values)}"))
        return None
    c1, c2, c3 = st.columns(3)
    c1.metric(t("upload.encoding", language), pv.encoding)
    c2.metric(t("upload.delimiter", language), pv.delimiter or "-")
    c3.metric(t("upload.date_order", language), pv.date_order or "-", help=t("upload.date_order_value", language))
    for column, why in pv.dropped.items():
        st.info(t("upload.dropped", language, column=plain(column), reason=t(f"ingest.dropped.{why}", language)))
    st.dataframe(pv.rows, hide_index=True, width="stretch", key="upload_preview",
                 alt=t("grid.upload_preview", language))
    st.markdown(f"**{t('upload.mapping', language)}** — {t('upload.mapping_help', language)}")
    choices = [c for c in pv.header if c not in pv.dropped]
    grid = pd.DataFrame({"field": list(pv.mapping), "column": list(pv.mapping.values())})
    edited = st.data_editor(grid, hide_index=True, key=f"upload_mapping_{dataset}", disabled=["field"],
                            alt=t("grid.upload_mapping", language),
                            column_config={
                                "field": st.column_config.TextColumn(t("upload.field", language)),
                                "column": st.column_config.SelectboxColumn(t("upload.column", language),
                                                                           options=choices)})
    mapping = {r.field: (r.column or None) for r in edited.itertuples()}
    options: dict[str, Any] = {"max_errors": 100_000}
    if dataset == "tourism":
        indicator = st.text_input(t("upload.indicator", language), key="upload_indicator").strip()
        if indicator:
            options["indicator"] = indicator
    return mapping, options


def datasets() -> list[str]:
    return list(DATASETS)
