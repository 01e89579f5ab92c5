"""Page layer: Peringatan / Alerts — for signed-in users only: the alerts that hold now by unit and step, whether
their recipients were told, the requests behind each (downloadable), a follow-up note, messages in doubt, history."""

from __future__ import annotations

import streamlit as st

from app import alerts, auth, reads, urlstate, widgets
from app.nav import frame
from base.alerts import rules
from base.i18n import t
from kpi import charts, queries
from kpi.alerts import view
from kpi.alerts.decide import CalendarEnds, decide

frame()  # run alone (a fresh server's first address), this opens the app around it

PAGE = "alerts"
lang = urlstate.lang()
widgets.page_header(PAGE, lang)

if auth.signed_in(lang, PAGE):
    alerts.recorded(lang)
    settings, problem = alerts.settings(lang)
    if problem:
        st.error(problem, icon=":material/error:")
    elif settings is None:
        st.info(t("alerts.page.not_configured", lang), icon=":material/info:")
    at, path, chosen = alerts.now(), alerts.state_path(settings), rules()
    try:
        decision = reads.read(decide, chosen, at)
    except CalendarEnds as exc:
        st.error(t("alerts.cli.calendar", lang, last=exc.last))
        st.stop()
    episodes, messages, last = alerts.remembered(path)
    st.caption(t("alerts.page.intro", lang, at=at.strftime("%Y-%m-%d %H:%M")) + " " + (
        t("alerts.page.last_run", lang, **{**last, "finished_at": view.when(last["finished_at"], lang)}) if last
        else t("alerts.page.no_run", lang)))
    alerts.in_doubt(messages, path, lang)

    names = {c: n_id if lang == "id" else n_en for c, n_id, n_en in decision.unit_names}
    units = sorted({a.unit_code or "" for a in decision.alerts})
    unit = urlstate.choice(PAGE, "unit", ["", *units], lambda c: names.get(c, c) if c else t("alerts.page.all", lang),
                           t("alerts.page.unit", lang), widget="select")
    rule = st.query_params.get("rule") if st.query_params.get("rule") in {r.key for r in chosen} else None
    rows = view.alert_rows(decision, chosen, episodes, lang, unit or None, rule)

    st.subheader(t("alerts.page.open", lang, n=len(rows)))
    if rows.empty:
        st.success(t("alerts.page.none", lang), icon=":material/check_circle:")
    else:
        widgets.chart(charts.alert_steps_chart, view.chart_rows(decision, lang, unit or None), lang, name="alerts",
                      page=PAGE, language=lang)
        alerts.table(rows, ["unit", "step_label", "items", "worst", "status_label", "ack", "rule_name", "since"],
                     "open", lang)
        key = st.selectbox(t("alerts.page.pick", lang), list(rows["key"]), key="alerts_pick",
                           format_func=lambda k: " · ".join(rows.set_index("key").loc[k, ["unit", "rule_name",
                                                                                           "step_label"]]))
        st.subheader(t("alerts.page.items", lang))
        alerts.requests(view.find(decision, key), reads.read(queries.service_names, lang),
                        reads.read(queries.kecamatan_names), lang)
        alerts.follow_up(rows.set_index("key").loc[key], path, lang)

    st.subheader(t("alerts.page.history", lang))
    history = view.history_rows(episodes, chosen, names, lang)
    if history.empty:
        st.caption(t("alerts.page.no_history", lang))
    else:
        alerts.table(history, ["opened_at", "state", "unit", "step", "peak", "sent", "ack", "resolved_at", "rule"],
                     "history", lang)
        sent = view.message_rows(messages, lang)
        alerts.table(sent, ["created_at", "status", "recipient", "title", "attempts", "sent_at", "last_error"],
                     "messages", lang)
