"""The load generator's protocol client (benchmarks/stclient.py) against a real Streamlit server: a page that runs is a
view without error, a page that raises is an error (also with error details hidden, as Pantau configures them), an
error alert is counted apart, and sidebar links navigate within the session. Behaviour only, no timing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import pytest

from benchmarks.cluster import free_port, wait_healthy
from benchmarks.stclient import View, Viewer

APP = '''
import streamlit as st

def fine():
    st.title("Fine")
    st.write("rows", st.query_params.get("n", "0"))

def broken():
    st.title("Broken")
    raise ValueError("boom")

def warned():
    st.error("The data cannot be read right now")

def home():
    st.title("Home")

# Streamlit serves the default page at / only (a typed address never resolves to it): it has a path of its own.
pages = [st.Page(home, title="Home", url_path="home", default=True), st.Page(fine, title="Fine", url_path="fine"),
         st.Page(broken, title="Broken", url_path="broken"), st.Page(warned, title="Warned", url_path="warned")]
current = st.navigation(pages, position="hidden")
for p in pages:
    st.sidebar.page_link(p, label=p.title, query_params={"n": "3"})
current.run()
'''


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("loadgen_app")
    (work / "app.py").write_text(APP, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--client.showErrorDetails", "none", "--browser.gatherUsageStats", "false"],
                            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _visit(base: str, address: str, query: str = "", then: str | None = None) -> list[View]:
    async def go() -> list[View]:
        v = Viewer(base, timeout=60)
        try:
            views = [await v.open(address, query)]
            if then is not None:
                link = next(x for x in views[0].page_links if x[1] == then)
                views.append(await v.navigate(link[0], link[1], link[2]))
            return views
        finally:
            await v.close()
    return asyncio.run(go())


def test_a_page_that_runs_is_no_error(server: str) -> None:
    (view,) = _visit(server, "fine", "n=2")
    assert view.status == "ok" and not view.failed
    assert view.seconds is not None and view.seconds > 0
    assert view.exceptions == [] and view.error_alerts == 0
    assert view.deltas > 0 and view.bytes > 0
    assert sorted(p for _, p, _, _ in view.page_links) == ["", "broken", "fine", "warned"]
    assert {q for _, _, q, _ in view.page_links} == {"n=3"}


def test_a_page_that_raises_is_an_error(server: str) -> None:
    (view,) = _visit(server, "broken")
    assert view.status == "error" and view.failed
    assert view.seconds is not None  # the run finished: the error is the page's, not a timeout
    # error details are hidden (client.showErrorDetails = none): the element arrives with its text redacted
    assert len(view.exceptions) == 1 and "encountered an error" in view.exceptions[0]


def test_navigating_to_a_page_that_raises_is_an_error(server: str) -> None:
    first, second = _visit(server, "fine", then="broken")
    assert first.status == "ok"
    assert second.kind == "navigate" and second.path == "broken" and second.query == "n=3"
    assert second.status == "error" and second.exceptions


def test_navigating_between_pages_that_run(server: str) -> None:
    first, second = _visit(server, "broken", then="fine")
    assert first.status == "error"
    assert second.status == "ok" and second.exceptions == []


def test_an_error_alert_is_counted_but_is_not_a_failed_view(server: str) -> None:
    (view,) = _visit(server, "warned")
    assert view.status == "ok" and view.error_alerts == 1


def test_the_root_address_runs_the_default_page(server: str) -> None:
    (view,) = _visit(server, "")
    assert view.status == "ok"


def test_an_unknown_address_is_an_error(server: str) -> None:
    (view,) = _visit(server, "no-such-page")
    assert view.status == "error" and any("page not found" in e for e in view.exceptions)


def test_a_server_that_is_gone_is_an_error() -> None:
    (view,) = _visit(f"http://127.0.0.1:{free_port()}", "fine")
    assert view.status == "error" and view.exceptions[0].startswith("connect:")
