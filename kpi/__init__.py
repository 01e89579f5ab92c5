"""Read-side layer: read-only queries, KPI definitions, chart and map builders, formatting."""
