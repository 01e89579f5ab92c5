"""App layer: what the address holds — the language, the shared filters and each page's own choices — so a copied
link opens the same view. Widget keys are <page>_<field>."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import streamlit as st

from app import reads, registry
from base.i18n import normalise_lang, t
from kpi import fmt, queries
from kpi.filters import PRESETS, Filters, preset_range

FILTER_PARAMS = ("period", "from", "to", "kecamatan", "service")


def lang() -> str:
    """?lang=en for English; Bahasa Indonesia otherwise."""
    return normalise_lang(st.query_params.get("lang"))


def _param_date(name: str) -> date | None:
    try:
        return date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def current_filters(page: str) -> tuple[str, Filters]:
    """The period preset and Filters from st.query_params, validated against the data (unknown codes dropped)."""
    spec = registry.spec(page)
    first, latest, _ = reads.latest_day()
    period = st.query_params.get("period")
    if period not in PRESETS:
        period = spec.default_period
    start, end = preset_range(period, first, latest)
    if period == "custom":
        start, end = _param_date("from") or start, _param_date("to") or end
        start, end = min(start, end), max(start, end)
        # date widgets refuse values outside their bounds: keep a hand-edited URL inside the data
        start, end = min(max(start, first), latest), max(min(end, latest), first)
    kec = svc = ()
    if spec.filters == "full":
        known_kec = reads.read(queries.kecamatan_names)
        known_svc = reads.read(queries.service_names, "id")
        kec = tuple(c for c in st.query_params.get_all("kecamatan") if c in known_kec)
        svc = tuple(c for c in st.query_params.get_all("service") if c in known_svc)
    return period, Filters(start, end, kecamatan=kec, services=svc)


def carried_params() -> dict[str, Any]:
    """Query params that follow the user from page to page: language and the shared filters."""
    out: dict[str, Any] = {}
    for name in ("lang", *FILTER_PARAMS):
        values = st.query_params.get_all(name)
        if values:
            out[name] = values if len(values) > 1 or name in ("kecamatan", "service") else values[0]
    return out


def _sync_filters(page: str) -> None:
    ss, qp = st.session_state, st.query_params
    period = ss.get(f"{page}_period")
    qp["period"] = period
    if period == "custom":
        start, end = ss.get(f"{page}_from"), ss.get(f"{page}_to")
        if isinstance(start, date) and isinstance(end, date):
            qp["from"], qp["to"] = min(start, end).isoformat(), max(start, end).isoformat()
    else:
        for name in ("from", "to"):
            qp.pop(name, None)
    for field in ("kecamatan", "service"):
        values = ss.get(f"{page}_{field}") or []
        if values:
            qp[field] = list(values)
        else:
            qp.pop(field, None)


def _reset_filters(page: str) -> None:
    for field in ("period", "from", "to", "kecamatan", "service"):
        st.session_state.pop(f"{page}_{field}", None)
    for name in FILTER_PARAMS:
        st.query_params.pop(name, None)


def _set_lang(key: str) -> None:
    st.query_params["lang"] = "en" if st.session_state.get(key) == "en" else "id"


def sidebar_filters(page: str, language: str) -> None:
    """Period preset (+ custom dates), kecamatan and service multiselects, reset, as the page's registry entry says."""
    scope = registry.spec(page).filters
    if scope == "none":
        return
    first, latest, _ = reads.latest_day()
    period, f = current_filters(page)
    st.sidebar.subheader(t("filters.title", language))
    defaults = {f"{page}_period": period, f"{page}_from": f.date_from, f"{page}_to": f.date_to,
                f"{page}_kecamatan": list(f.kecamatan), f"{page}_service": list(f.services)}
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = value
    st.sidebar.selectbox(t("filters.period", language), PRESETS, key=f"{page}_period",
                         format_func=lambda p: t(f"filters.preset.{p}", language),
                         on_change=_sync_filters, args=(page,))
    if st.session_state[f"{page}_period"] == "custom":
        # one under the other: side by side, the sidebar cuts the year off
        for end in ("from", "to"):
            st.sidebar.date_input(t(f"filters.{end}", language), key=f"{page}_{end}", min_value=first,
                                  max_value=latest, format="DD/MM/YYYY", on_change=_sync_filters, args=(page,))
    st.sidebar.caption(t("filters.range", language, start=fmt.day(f.date_from, language),
                         end=fmt.day(f.date_to, language)))
    if scope == "full":
        kec = reads.read(queries.kecamatan_names)
        svc = reads.read(queries.service_names, language)
        st.sidebar.multiselect(t("filters.kecamatan", language), list(kec), key=f"{page}_kecamatan",
                               format_func=kec.get, placeholder=t("filters.all_kecamatan", language),
                               on_change=_sync_filters, args=(page,))
        st.sidebar.multiselect(t("filters.service", language), list(svc), key=f"{page}_service",
                               format_func=svc.get, placeholder=t("filters.all_services", language),
                               on_change=_sync_filters, args=(page,))
    st.sidebar.button(t("filters.reset", language), key=f"{page}_reset", on_click=_reset_filters, args=(page,))


def language_switch(page: str, language: str) -> None:
    key = f"{page}_lang"
    st.session_state[key] = language
    st.sidebar.segmented_control(t("app.language", language), ["id", "en"], key=key,
                                 format_func=lambda code: {"id": "Bahasa Indonesia", "en": "English"}[code],
                                 on_change=_set_lang, args=(key,))


def choice(page: str, field: str, options: list[str], labels: Callable[[str], str], label: str,
           default: str | None = None, widget: str = "radio") -> str:
    """A page-level choice (grain, metric, indicator…) kept in the URL as ?<field>=…; widget key <page>_<field>.

    The URL decides once it names a value (a shared link, or the reader's own pick, stored there on change); until
    then the choice follows `default`, which may depend on the filters (a year gets weeks or months, not days).
    """
    key = f"{page}_{field}"
    default = default if default in options else options[0]
    wanted = st.query_params.get(field)
    st.session_state[key] = wanted if wanted in options else default

    def _store() -> None:
        st.query_params[field] = st.session_state[key]

    if widget == "select":
        st.selectbox(label, options, key=key, format_func=labels, on_change=_store)
    else:
        st.radio(label, options, key=key, format_func=labels, horizontal=True, on_change=_store)
    return st.session_state[key]
