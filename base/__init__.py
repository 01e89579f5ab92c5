"""Base layer: settings from the city pack, the city's clock and calendar, and every user-facing message.

Imported by every other layer (etl, kpi, app, pages); imports none of them.
"""
