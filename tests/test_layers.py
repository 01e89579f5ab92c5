"""Tier 2: the layers hold — base → etl | kpi → app → pages → dashboard.py, one way — checked on the imports themselves
(every `import`, also inside functions), with no circle between modules and no Streamlit below the app layer."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# layer -> the layers it may import. The command line (etl/cli.py, etl/__main__.py) is an entry point above both the
# writer and the read side: `python -m etl kpi` reads, `python -m etl load` writes.
ALLOWED = {
    "base": set(),
    "etl": {"base"},
    "kpi": {"base"},
    "entry": {"base", "etl", "kpi"},
    "app": {"base", "etl", "kpi"},
    "pages": {"base", "etl", "kpi", "app"},
    "dashboard": {"base", "etl", "kpi", "app"},
}
ENTRY = {"etl.cli", "etl.__main__"}
# What the command line reads through, each module imported inside the command that needs it, so a `load` never
# pulls in the read side (or Typst): `kpi` and `loads` answer from the KPI layer, and `briefing` renders the weekly
# PDF, which stays on the read side (kpi.briefing) and is reached from here alone, not from the writer. `alerts`
# decides and sends through kpi.alerts (also after a load, only when [alerts] is configured). `skm` and `skm-report`
# read the satisfaction survey (kpi.skm, formatted by kpi.fmt; the report: kpi.briefing.skm_report).
ENTRY_READS = {"kpi.db", "kpi.filters", "kpi.metrics", "kpi.queries", "kpi.briefing", "kpi.briefing.mail",
               "kpi.alerts", "kpi.skm", "kpi.fmt", "kpi.briefing.skm_report"}


def modules() -> dict[str, Path]:
    out = {"dashboard": ROOT / "dashboard.py"}
    for top in ("base", "etl", "kpi", "app", "pages"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def layer(module: str) -> str:
    return "entry" if module in ENTRY else module.split(".")[0]


def imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, anywhere in it."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(p, set(mods)) - {m} for m, p in mods.items()}


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Every import that goes against the layer order."""
    return sorted(f"{a} imports {b}" for a, targets in edges.items() for b in targets
                  if layer(b) != layer(a) and layer(b) not in ALLOWED[layer(a)])


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles between modules (each once, as found by a depth-first walk)."""
    found, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt.startswith(node + "."):  # a package importing its own submodule is not a circle
                continue
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [])
    return found


def test_no_import_goes_up_a_layer() -> None:
    edges = graph()
    assert len(edges) > 50 and edges["dashboard"]
    assert not upward(edges), "\n".join(upward(edges))


def test_no_circle_of_imports() -> None:
    assert not circles(graph()), circles(graph())


def test_the_checks_catch_a_reversed_import_and_a_circle() -> None:
    edges = graph()
    edges["kpi.metrics"] = edges["kpi.metrics"] | {"etl.store"}      # the read side reaching into the writer
    edges["base.clock"] = edges["base.clock"] | {"app.reads"}         # the base reaching up
    assert upward(edges) == ["base.clock imports app.reads", "kpi.metrics imports etl.store"]
    edges["etl.ingest.result"] = edges["etl.ingest.result"] | {"etl.ingest.sniff"}
    assert any({"etl.ingest.result", "etl.ingest.sniff"} <= set(c) for c in circles(edges))


def test_the_entry_reads_through_named_modules_imported_lazily() -> None:
    mods = modules()
    for name in ENTRY:
        tree = ast.parse(mods[name].read_text(encoding="utf-8"))
        reads = {b for b in imports(mods[name], set(mods)) if layer(b) == "kpi"}
        assert reads <= ENTRY_READS, (name, sorted(reads - ENTRY_READS))
        top = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
               and any(a.name.startswith("kpi") for a in n.names) | str(getattr(n, "module", "")).startswith("kpi")]
        assert not top, (name, top)
    assert "kpi.briefing" in imports(mods["etl.cli"], set(mods))


def test_streamlit_only_in_the_app_pages_and_entry() -> None:
    below = [m for m, p in modules().items() if layer(m) in ("base", "etl", "kpi", "entry")
             and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "streamlit" in ast.unparse(n)
                     for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert not below, below


def test_pages_never_touch_the_database() -> None:
    """Pages read through the read side and write through etl; they never open DuckDB themselves."""
    direct = [m for m, p in modules().items() if layer(m) in ("pages", "app")
              and "duckdb" in {n.name.split(".")[0] for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                               if isinstance(n, ast.alias)} and m != "app.reads"]
    assert not direct, direct


def test_every_registry_address_opens_the_app() -> None:
    """On a fresh server Streamlit's pages/ discovery serves pages/<address>.py: each address of the registry has
    that file, and it starts by opening the app frame (app.nav.frame)."""
    from app.registry import PAGES, addresses

    for spec in PAGES:
        for address in addresses(spec):
            path = ROOT / "pages" / f"{address}.py"
            assert path.is_file(), address
            calls = [n for n in ast.parse(path.read_text(encoding="utf-8")).body
                     if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
            assert calls and ast.unparse(calls[0]) == "frame()", address


STARTERS = {"run", "Popen", "check_output", "check_call", "call", "create_subprocess_exec"}


def test_subprocesses_start_the_interpreter_running_them() -> None:
    """A program started as `python3` from PATH is not the one running the tests in a virtual environment called by
    its path (`.venv/bin/python -m pytest`): every command line starts with sys.executable instead."""
    found = []
    for top in ("tests", "benchmarks", "etl", "kpi", "app", "base", "deploy"):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.List | ast.Tuple)
                        and getattr(node.func, "attr", getattr(node.func, "id", "")) in STARTERS):
                    continue
                first = node.args[0].elts[0] if node.args[0].elts else None
                if isinstance(first, ast.Constant) and first.value in ("python", "python3", "streamlit", "pytest"):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, f"command lines starting with a bare program name instead of sys.executable: {found}"
