"""Read-side layer: the briefing drawn — charts to SVG offline (vl-convert, which Altair itself uses), the pages laid
out by Typst from briefing.typ, fed only with JSON (no Typst code is ever built from data)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi.briefing.content import Request, check, gather
from kpi.db import Reader

TEMPLATE = Path(__file__).resolve().parent / "briefing.typ"
# Body and chart text. DejaVu Sans (Debian's fonts-dejavu-core) covers Indonesian and the typographic minus; Typst's
# own embedded fonts are the fallback on a machine without it, so a briefing always renders, offline.
FONT = "DejaVu Sans"
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
CHART_WIDTH = 620  # px of Vega's canvas; the template scales it to the text width (about 0.8 pt per px)
# The 12-week charts are drawn lower than on screen, so the three fit one page.
HEIGHTS = {"volume": 190, "times": 190, "backlog": 170}


@dataclass(frozen=True)
class Briefing:
    """A rendered briefing: the PDF's bytes and how many pages it has."""

    request: Request
    pdf: bytes
    pages: int


def font_paths() -> list[str]:
    """Folders Typst and vl-convert read fonts from besides the system's: PANTAU_FONT_DIR, then DejaVu's usual homes."""
    extra = os.environ.get("PANTAU_FONT_DIR")
    return [p for p in ((extra,) if extra else ()) + FONT_DIRS if p and Path(p).is_dir()]


_fonts_registered = False


def _vl_convert() -> Any:
    """vl_convert with the briefing's font folders registered once per process (it measures text with them)."""
    global _fonts_registered
    import vl_convert

    if not _fonts_registered:
        for path in font_paths():
            vl_convert.register_font_directory(path)
        _fonts_registered = True
    return vl_convert


def for_print(spec: dict[str, Any], width: int = CHART_WIDTH, height: int | None = None) -> dict[str, Any]:
    """A dashboard chart's spec set for paper: a fixed width (and height, if given), the briefing's font."""
    out = dict(spec)
    out["width"] = width
    if height:
        out["height"] = height
    # transparent: the SAMPLE mark behind the page shows through the charts too
    out["config"] = {**spec.get("config", {}), "font": FONT, "background": "transparent"}
    return out


def svg(spec: dict[str, Any], height: int | None = None) -> str:
    """A Vega-Lite spec drawn as SVG, offline."""
    return _vl_convert().vegalite_to_svg(for_print(spec, height=height))


def compile_pdf(content: dict[str, Any], template: Path = TEMPLATE) -> bytes:
    """A template (the briefing's, or another beside it: the SKM report's) laid out with `content` (JSON, charts as
    SVG text inside it) into PDF bytes."""
    import typst

    return typst.compile(str(template), root=str(template.parent), font_paths=font_paths(),
                         sys_inputs={"data": json.dumps(content, ensure_ascii=False)})


def page_count(pdf: bytes) -> int:
    """Pages of a PDF Typst wrote (its page objects are plain dictionaries)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def make(r: Reader, req: Request) -> Briefing:
    """The briefing of `req`: checked (BriefingError for a week outside the data or an unknown code), gathered from
    the KPI layer, drawn and laid out."""
    check(r, req)
    content, specs = gather(r, req)
    content["charts"] = {name: svg(spec, HEIGHTS.get(name)) for name, spec in specs.items()}
    pdf = compile_pdf(content)
    return Briefing(req, pdf, page_count(pdf))
