"""ETL layer: the structured outcome of a load (what the CLI prints as JSON and the upload page shows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from base.i18n import t

MAX_REPORTED_ERRORS = 100


class FileRejected(Exception):
    """The file as a whole cannot be read; `code` is a message key in kpi/messages/ingest.toml."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass
class Problem:
    """One error or warning; `code` names a message in kpi/messages/ingest.toml (ingest.error.* / ingest.warning.*)."""

    code: str
    line: int | None = None
    column: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    kind: str = "error"

    def reason(self, lang: str = "en") -> str:
        return t(f"ingest.{self.kind}.{self.code}", lang, column=self.column or "", line=self.line or "",
                 **self.values)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        """line, column, code and the message (as `message`, and as `reason` for scripts written before it)."""
        text = self.reason(lang)
        return {"line": self.line, "column": self.column, "reason": text, "message": text, "code": self.code}


@dataclass
class LoadResult:
    status: str                      # loaded | unchanged | validated | rejected
    dataset: str
    file_name: str
    load_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    errors: list[Problem] = field(default_factory=list)        # the first MAX_REPORTED_ERRORS, in line order
    error_total: int = 0
    warnings: list[Problem] = field(default_factory=list)
    dropped_columns: list[dict[str, str]] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    date_order: str | None = None
    layout: str | None = None
    mapping: dict[str, str | None] = field(default_factory=dict)
    mode: str | None = None
    sha256: str | None = None
    timings: dict[str, float] = field(default_factory=dict)   # seconds per phase
    copied: dict[str, Any] = field(default_factory=dict)      # how the private copy was made (etl.store.LAST_COPY)

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "unchanged", "validated")

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        d = asdict(self)
        d["errors"] = [p.as_dict(lang) for p in self.errors]
        d["warnings"] = [p.as_dict(lang) for p in self.warnings]
        d["dropped_columns"] = [
            {"column": c["column"], "reason": t(f"ingest.dropped.{c['reason']}", lang)} for c in self.dropped_columns
        ]
        return d

    def audit_detail(self) -> dict[str, Any]:
        """What goes into loads.detail: never personal data (errors quote mapped columns only, NIKs masked)."""
        return {
            "errors": [p.as_dict("en") for p in self.errors[:20]], "error_total": self.error_total,
            "warnings": [p.as_dict("en") for p in self.warnings], "dropped_columns": self.dropped_columns,
            "encoding": self.encoding, "delimiter": self.delimiter, "layout": self.layout,
        }
