"""Read-side layer: the weekly briefing — (ISO week, filters, language) → a printable A4 PDF.

Every figure comes from kpi.metrics and kpi.queries (content.py), every chart from a kpi.charts builder drawn to SVG
offline (render.py), the layout from a Typst template fed with JSON (briefing.typ): no figure is computed twice, no
browser, no screenshot. mail.py sends the file. Entry points: `python -m etl briefing` and the overview's button.
"""

from __future__ import annotations

from kpi.briefing.content import (
                                  BriefingError,
                                  Request,
                                                                check,
                                  last_complete_week,
                                  parse_week,
                                  week_label,
    week_within,
)
from kpi.briefing.render import Briefing, make

__all__ = ["Briefing", "BriefingError", "Request", "check", "last_complete_week", "make",
           "parse_week", "week_label", "week_within"]
