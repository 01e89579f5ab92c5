"""Test helpers: axe-core (npm, pinned in tests/axe) run in a page open in headless Chromium, and the checks every
browser test of a page applies — zero WCAG 2.0–2.2 A/AA violations, the document's language, a name of its own on
every chart, map and data grid."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# What a screen reader announces for a Vega chart without a description of its own.
VEGA_DEFAULT = "Vega visualization"
# Charts, maps and data grids: each must carry a non-empty name of its own.
NAMED = {"chart": '[data-testid="stVegaLiteChart"]', "map": '[data-testid="stDeckGlJsonChart"]',
         "grid": '[data-testid="stDataFrameResizable"]'}
RUN_AXE = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, iframes: false,
                                     resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, tags: v.tags, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary, html: n.html.slice(0, 200)}))}));
}"""
NAMES = """(named) => Object.entries(named).flatMap(([kind, sel]) => [...document.querySelectorAll(sel)].map(el => ({
  kind, role: el.getAttribute('role'), name: (el.getAttribute('aria-label') || '').trim()})))"""


def axe(tab: object) -> list[dict]:
    """axe-core in every frame of the page; each violation names its frame."""
    source = AXE.read_text(encoding="utf-8")
    found = []
    for frame in tab.frames:
        if frame.url.startswith(("about:", "data:")) and frame != tab.main_frame:
            continue
        frame.evaluate(source)
        for v in frame.evaluate(RUN_AXE, [*WCAG, "best-practice"]):
            found.append({**v, "frame": frame.url})
    return found


def check_page(tab: object, where: str, lang: str, results: dict[str, object]) -> list[str]:
    """Problems on the page in view: WCAG violations, a wrong document language, an unnamed chart, map or grid.

    What axe found is kept in `results[where]` (violations and best-practice findings apart)."""
    found = axe(tab)
    wcag = [v for v in found if set(v["tags"]) & set(WCAG)]
    results[where] = {"violations": wcag, "best_practice": [v for v in found if v not in wcag]}
    problems = [f"{where}: {v['id']} ({v['impact']}) {v['help']}: {n['target']} — {n['summary']}"
                for v in wcag for n in v["nodes"][:3]]
    if (got := tab.evaluate("document.documentElement.lang")) != lang:
        problems.append(f'{where}: <html lang="{got}">, not "{lang}"')
    for item in tab.evaluate(NAMES, NAMED):
        if not item["name"] or item["name"] == VEGA_DEFAULT or not item["role"]:
            problems.append(f"{where}: a {item['kind']} without a name of its own ({item})")
    return problems


def assert_accessible(tab: object, where: str, lang: str) -> None:
    """The page in view passes check_page. Without axe-core installed the check fails where a browser is required
    (CI installs both) and is left out elsewhere."""
    import pytest

    from tests.conftest import browser_required

    if not AXE.exists():
        if browser_required():
            pytest.fail(f"missing {AXE} (npm ci --prefix tests/axe)")
        return
    problems = check_page(tab, where, lang, {})
    assert not problems, "\n".join(problems)
