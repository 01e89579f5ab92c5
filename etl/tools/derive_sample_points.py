"""ETL tooling: derive a city pack's sample_points.csv from a GeoJSON of kecamatan polygons.

The sample generator places each generated request on one of these grid points (plus a jitter smaller than the grid
spacing), so every generated coordinate lies inside its own kecamatan. A grid cell is kept only when its centre and the
four corners of its jitter box are all inside the polygon.

    python -m etl.tools.derive_sample_points BOUNDARIES.geojson data/reference/medan/sample_points.csv
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

SPACING = 0.0025  # degrees, about 280 m near the equator
JITTER = 0.4      # of SPACING, each way


def _inside(x: float, y: float, ring: list[list[float]]) -> bool:
    inside, j = False, len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygons(x: float, y: float, polygons: list[list[list[list[float]]]]) -> bool:
    return any(_inside(x, y, p[0]) and not any(_inside(x, y, hole) for hole in p[1:]) for p in polygons)


def derive(geojson: Path, out: Path, code_property: str = "kode_kemendagri") -> int:
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    rows = []
    for feature in features:
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        xs = [pt[0] for poly in polygons for pt in poly[0]]
        ys = [pt[1] for poly in polygons for pt in poly[0]]
        code = feature["properties"][code_property]
        d = SPACING * JITTER
        y = min(ys) + SPACING / 2
        while y < max(ys):
            x = min(xs) + SPACING / 2
            while x < max(xs):
                probes = [(x, y), (x - d, y - d), (x + d, y - d), (x - d, y + d), (x + d, y + d)]
                if all(_in_polygons(px, py, polygons) for px, py in probes):
                    rows.append((code, round(y, 6), round(x, 6)))
                x += SPACING
            y += SPACING
    rows.sort()
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["kecamatan_code", "lat", "lon"])
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    n = derive(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{n} points written to {sys.argv[2]} (grid {SPACING} deg, jitter +/-{JITTER * SPACING:.5f} deg)")
