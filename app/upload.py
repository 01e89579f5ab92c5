"""App layer: the steps of the upload page that hold widgets — the file received, its preview and the editable
mapping — so the page itself reads as the analyst's steps."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from app.widgets import plain
from base import skm
from base.i18n import t
from etl.ingest import DATASETS
from etl.ingest.preview import Preview, preview

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
    st.dataframe(pv.rows, hide_index=True, width="stretch", key="upload_preview")
    st.markdown(f"**{t('upload.mapping', language)}** — {t('upload.mapping_help', language)}")
    choices = [c for c in pv.header if c not in pv.dropped]
    fields = {f: c for f, c in pv.mapping.items() if not (pv.elements and f in ELEMENT_FIELDS)}
    grid = pd.DataFrame({"field": list(fields), "column": list(fields.values())})
    edited = st.data_editor(grid, hide_index=True, key=f"upload_mapping_{dataset}", disabled=["field"],
                            column_config={
                                "field": st.column_config.TextColumn(t("upload.field", language)),
                                "column": st.column_config.SelectboxColumn(t("upload.column", language),
                                                                           options=choices)})
    mapping = {r.field: (r.column or None) for r in edited.itertuples()}
    options: dict[str, Any] = {"max_errors": 100_000}
    if dataset == "skm":
        options |= element_step(pv, language)
    if dataset == "tourism":
        indicator = st.text_input(t("upload.indicator", language), key="upload_indicator").strip()
        if indicator:
            options["indicator"] = indicator
    return mapping, options


def datasets() -> list[str]:
    return list(DATASETS)


ELEMENT_FIELDS = tuple(f"u{i}" for i in range(1, 10))
NOT_ELEMENT, UNKNOWN = "-", "?"


def element_step(pv: Preview, language: str) -> dict[str, Any]:
    """The survey's element columns, each with the element its header or answers gave it (or "?"), which the analyst
    may change; returns the load options: the elements in column order when the analyst changed one (what the CLI's
    --elements says), and whether to keep repeated submissions."""
    if not pv.elements:
        return {}
    st.markdown(f"**{t('upload.elements', language)}** — {t('upload.elements_help', language)}")
    names = {e.code: f"{e.code} {e.name(language)}" for e in skm.elements()}
    labels = {UNKNOWN: t("upload.element_unknown", language), NOT_ELEMENT: t("upload.element_none", language), **names}
    options = [UNKNOWN, *names, NOT_ELEMENT]
    guessed = [c["element"] or (NOT_ELEMENT if c["how"] in ("past", "left_out") else UNKNOWN) for c in pv.elements]
    # short headers ("Unsur 8", "u10") side by side; a question's full text needs the page's width
    grid = st.columns(3) if all(len(c["column"]) <= 40 for c in pv.elements) else [st.container()]
    chosen = []
    for k, (c, guess) in enumerate(zip(pv.elements, guessed, strict=True)):
        chosen.append(grid[k % len(grid)].selectbox(plain(c["column"]), options, index=options.index(guess),
                                                    key=f"upload_element_{c['index']}", format_func=labels.get))
    unplaced = [c["column"] for c, code in zip(pv.elements, chosen, strict=True) if code == UNKNOWN]
    if unplaced:
        st.warning(t("upload.elements_unplaced", language, columns=", ".join(f'"{plain(c)}"' for c in unplaced)))
    out: dict[str, Any] = {"keep_repeats": st.checkbox(t("upload.keep_repeats", language), key="upload_keep_repeats")}
    if chosen != guessed and not unplaced:
        out["elements"] = [code if code != NOT_ELEMENT else "-" for code in chosen]
    return out
