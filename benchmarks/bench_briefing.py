"""Benchmarks: the weekly briefing (issue 17) — cold and warm time, where the time goes, PDF size, against charts
embedded as PNG images instead of SVG.

    python benchmarks/bench_briefing.py [--db /tmp/perf10m.duckdb] [--week 2026-W43] [--repeat 5]

Cold = the first briefing in a fresh process (new DuckDB instance, vl-convert's JavaScript engine started, Typst's
fonts read), measured from inside that process after its imports; the process's whole wall time (interpreter and
imports included, what a cron run costs) is given beside it. Warm = the median of repeated briefings in one process
(what the overview's button costs on a running server). The database is only read.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DB, ROOT, load_now, machine, median_time, ms, save


def one_cold(db: Path, week: str, lang: str, kecamatan: str | None) -> dict[str, Any]:
    """A briefing in a fresh process: seconds inside make(), and the process's whole wall time."""
    code = (
        "import json, sys, time\n"
        "from kpi.db import Reader\n"
        "from kpi.briefing import Request, make\n"
        f"r = Reader({str(db)!r})\n"
        f"req = Request({week!r}, {(kecamatan,) if kecamatan else ()!r}, (), {lang!r})\n"
        "t0 = time.perf_counter(); b = make(r, req); t1 = time.perf_counter()\n"
        "print(json.dumps({'seconds': t1 - t0, 'bytes': len(b.pdf), 'pages': b.pages}))\n"
    )
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    return {**json.loads(done.stdout), "process_seconds": wall}


def png_variant(content: dict[str, Any], specs: dict[str, Any]) -> bytes:
    """The naive way: every chart rasterised to PNG (2× scale, readable in print) and embedded as an image file."""
    import typst
    import vl_convert

    from kpi.briefing import render

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        template = render.TEMPLATE.read_text(encoding="utf-8")
        # the same template, reading image files instead of SVG text
        template = template.replace('image(bytes(d.charts.at(name)), format: "svg",', "image(d.charts.at(name),")
        (folder / "briefing.typ").write_text(template, encoding="utf-8")
        charts = {}
        for name, spec in specs.items():
            png = vl_convert.vegalite_to_png(render.for_print(spec, height=render.HEIGHTS.get(name)), scale=2)
            (folder / f"{name}.png").write_bytes(png)
            charts[name] = f"{name}.png"
        return typst.compile(str(folder / "briefing.typ"), root=str(folder), font_paths=render.font_paths(),
                             sys_inputs={"data": json.dumps({**content, "charts": charts}, ensure_ascii=False)})


def warm(db: Path, week: str, lang: str, kecamatan: str | None, repeat: int) -> dict[str, Any]:
    from kpi.briefing import Request, make, render
    from kpi.briefing.content import gather
    from kpi.db import Reader

    r = Reader(db)
    req = Request(week, (kecamatan,) if kecamatan else (), (), lang)
    make(r, req)  # warm up: DuckDB's buffers, vl-convert's engine, Typst's fonts
    total = median_time(lambda: make(r, req), repeat)
    content, specs = gather(r, req)
    gather_s = median_time(lambda: gather(r, req), repeat)
    svg_s = median_time(lambda: {n: render.svg(s, render.HEIGHTS.get(n)) for n, s in specs.items()}, repeat)
    svgs = {n: render.svg(s, render.HEIGHTS.get(n)) for n, s in specs.items()}
    typst_s = median_time(lambda: render.compile_pdf({**content, "charts": svgs}), repeat)
    pdf = make(r, req).pdf
    png_s = median_time(lambda: png_variant(content, specs), repeat)
    png_pdf = png_variant(content, specs)
    return {
        "warm_ms": ms(total), "gather_ms": ms(gather_s), "svg_ms": ms(svg_s), "typst_ms": ms(typst_s),
        "charts": len(specs), "pages": render.page_count(pdf), "pdf_bytes": len(pdf),
        "png_variant": {"charts_and_layout_ms": ms(png_s), "pdf_bytes": len(png_pdf),
                        "svg_charts_and_layout_ms": ms(svg_s + typst_s)},
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, default=DEFAULT_DB)
    p.add_argument("--week", help="ISO week (default: the last complete one in the data)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--name", default="briefing_10m", help="results/<name>.json")
    args = p.parse_args()

    from kpi.briefing import last_complete_week
    from kpi.db import Reader

    r = Reader(args.db)
    week = args.week or last_complete_week(r)
    rows = r.one("SELECT count(*) FROM fct_service_requests")[0]
    kecamatan = r.one("SELECT min(kecamatan_code) FROM dim_kecamatan")[0]
    runs = {}
    for label, lang, kec in (("city_id", "id", None), ("city_en", "en", None), ("one_kecamatan_id", "id", kecamatan)):
        cold = one_cold(args.db, week, lang, kec)
        runs[label] = {"kecamatan": kec, "lang": lang, "cold_ms": ms(cold["seconds"]),
                       "cold_process_ms": ms(cold["process_seconds"]), "load_before": load_now(),
                       **warm(args.db, week, lang, kec, args.repeat)}
        print(label, json.dumps(runs[label]))
    path = save(args.name, {"machine": {**machine(), "versions_briefing": _versions()}, "db": str(args.db),
                            "requests": rows, "week": week, "runs": runs})
    print(f"wrote {path.relative_to(ROOT)}")


def _versions() -> dict[str, str | None]:
    import importlib.metadata

    out = {}
    for name in ("typst", "vl-convert-python"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


if __name__ == "__main__":
    main()
