"""Read-side layer: alerts that reach the people who must act — deciding (decide.py, a pure read of the KPI layer)
apart from sending (channels.py, one thin adapter per channel), with the alert state in a file of its own (state.py).

Rules are the city pack's alerts.toml (base/alerts.py); recipients and channels the [alerts] section of the secrets
file (settings.py); words per recipient (compose.py); one run of it all (run.py). Entry points: `python -m etl alerts`
(cron, and after every successful load) and the page Peringatan / Alerts.
"""

from __future__ import annotations

from kpi.alerts.decide import EVALUATORS, Alert, CalendarEnds, Decision, decide, items_frame, overdue_requests
from kpi.alerts.runner import RunResult, run
from kpi.alerts.settings import AlertConfigError, AlertSettings, load_settings, parse_settings
from kpi.alerts.state import State, default_path

__all__ = ["EVALUATORS", "Alert", "AlertConfigError", "AlertSettings", "CalendarEnds", "Decision", "RunResult",
           "State", "decide", "default_path", "items_frame", "load_settings", "overdue_requests", "parse_settings",
           "run"]
