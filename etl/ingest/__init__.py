"""ETL layer: analyst uploads (CSV, TSV, Excel) — one path for `python -m etl load` and the upload page."""

from etl.ingest.core import DATASETS, load_file
from etl.ingest.result import LoadResult, Problem
from etl.ingest.undo import rollback

__all__ = ["DATASETS", "LoadResult", "Problem", "load_file", "rollback"]
