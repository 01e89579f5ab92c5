"""Benchmarks: a viewer that speaks Streamlit's own websocket protocol, without a browser.

It does what the browser's app does on the wire (Streamlit 1.67, `frontend/app/src/App.tsx` and the connection
manager; the server side is `streamlit/web/server/starlette/starlette_websocket.py`):

- a new visit GETs the page (which sets the `_streamlit_xsrf` cookie), then opens `/_stcore/stream` with the
  subprotocols `["streamlit", <xsrf token>]`, the cookie and a same-origin `Origin` header;
- it asks for a run with a `BackMsg.rerun_script` (`ClientState`): the address's query string, an empty
  `page_script_hash` and the path as `page_name` on the first run, the browser's `context_info`, and the hashes of
  the messages it has cached;
- a click on a sidebar link (`st.page_link`) sends `rerun_script` with the link's `page_script_hash` and
  `query_string` on the same socket, as `App.onPageChange` does;
- the run is over when a `ForwardMsg.script_finished` arrives (`FINISHED_EARLY_FOR_RERUN` means another run
  follows); a view's time runs from sending `rerun_script` to that message.

Like the browser it keeps the messages the server marks `metadata.cacheable` (by hash, aged out after
`new_session.config.max_cached_message_age` runs) and lists them in `cached_message_hashes`, so the server sends a
`ref_hash` for an element the viewer already has, as it would to a browser tab.

An `Exception` element (`delta.new_element.exception`: a page that raised), a script compilation error, a
`page_not_found`, a run that ends in a compile error, a lost connection and a timeout each make the view an error.
Error alerts (`st.error`) are counted apart: pages use them for messages meant for the reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

XSRF_COOKIE = "_streamlit_xsrf"
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY: "ok", ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile_error",
            ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "ok"}
ALERT_ERROR = 1  # Alert.Format.ERROR


@dataclass
class View:
    """One page view: what was asked, how long the server took to run it, what came back."""

    path: str
    query: str
    kind: str                      # "open" (an address typed or followed from outside) or "navigate" (sidebar link)
    started: float = 0.0           # time.monotonic() when rerun_script was sent
    seconds: float | None = None   # until script_finished; None when it never came
    status: str = "pending"        # ok, error, timeout, disconnected
    messages: int = 0
    bytes: int = 0
    deltas: int = 0
    ref_hashes: int = 0            # elements the server sent as a reference to the viewer's cache
    exceptions: list[str] = field(default_factory=list)
    error_alerts: int = 0
    server_seconds: float | None = None  # the script run as the server timed it (page_profile, when it sends one)
    page_links: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (hash, page, query, disabled)

    @property
    def failed(self) -> bool:
        return self.status != "ok"

    def record(self) -> dict[str, Any]:
        return {"path": self.path, "query": self.query, "kind": self.kind, "seconds": self.seconds,
                "status": self.status, "messages": self.messages, "bytes": self.bytes, "deltas": self.deltas,
                "ref_hashes": self.ref_hashes, "exceptions": self.exceptions[:3], "error_alerts": self.error_alerts,
                "server_seconds": self.server_seconds}


class Viewer:
    """One browser tab's worth of protocol: a session, its message cache, and one run at a time."""

    def __init__(self, base_url: str, *, timeout: float = 120.0, locale: str = "id-ID",
                 tz: str = "UTC") -> None:
        self.base = base_url.rstrip("/")
        parts = urllib.parse.urlsplit(self.base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path  # a server under a path (server.baseUrlPath); "" here
        self.ws_url = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}{self.prefix}/_stcore/stream"
        self.timeout, self.locale, self.tz = timeout, locale, tz
        self.ws: Any = None
        self.cookies: dict[str, str] = {}     # the xsrf cookie, and a proxy's sticky-session cookie when there is one
        self.session_id: str | None = None
        self.max_cache_age = 2
        self.cache: dict[str, int] = {}       # message hash -> run count when last used
        self.runs = 0
        self.current_hash = ""
        self.pages: dict[str, str] = {}       # url_pathname -> page_script_hash (from the navigation message)
        self.view: View | None = None
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds (st.fragment(run_every=...), as AutoRerun)
        self._done: asyncio.Event | None = None
        self._reader: asyncio.Task | None = None

    # --- connection ------------------------------------------------------------------------------------------------
    def cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _http_get(self, path: str) -> None:
        req = urllib.request.Request(self.origin + path, headers=self.cookie_header())
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            resp.read()
            for header in resp.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]

    async def connect(self, address: str) -> None:
        """What a browser does before the first run: the page (xsrf cookie), health, host config, the websocket."""
        for path in (f"{self.prefix}/{address}", f"{self.prefix}/_stcore/health", f"{self.prefix}/_stcore/host-config"):
            await asyncio.to_thread(self._http_get, path)
        protocols = ["streamlit", self.cookies.get(XSRF_COOKIE, "PLACEHOLDER_AUTH_TOKEN")]
        headers = {"Origin": self.origin, **self.cookie_header()}
        self.ws = await websockets.connect(self.ws_url, subprotocols=protocols, additional_headers=headers,
                                           max_size=None, open_timeout=self.timeout, ping_interval=None,
                                           compression=None)
        self._reader = asyncio.create_task(self._read_loop())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        self.ws = self._reader = None

    # --- runs ------------------------------------------------------------------------------------------------------
    async def open(self, address: str, query: str = "") -> View:
        """A new visit: connect and run the page at `address` (its path, as the browser sends it: page_name)."""
        view = View(address, query, "open")
        try:
            await self.connect(address + (f"?{query}" if query else ""))
        except Exception as exc:
            view.status, view.exceptions = "error", [f"connect: {type(exc).__name__}: {exc}"[:200]]
            return view
        return await self._run(view, page_script_hash="", page_name=address)

    async def navigate(self, page_script_hash: str, page: str, query: str) -> View:
        """A click on a sidebar link: the page's hash and the link's query string, on the same session."""
        return await self._run(View(page, query, "navigate"), page_script_hash=page_script_hash, page_name="")

    async def fragment(self, fragment_id: str) -> View:
        """What the browser sends every `run_every` seconds for an auto-rerunning fragment (App.handleAutoRerun)."""
        return await self._run(View("fragment", "", "fragment"), page_script_hash=self.current_hash, page_name="",
                               fragment_id=fragment_id)

    async def _run(self, view: View, *, page_script_hash: str, page_name: str, fragment_id: str = "") -> View:
        if self.ws is None or self._reader is None or self._reader.done():
            view.status = "disconnected"
            return view
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = view.query
        state.page_script_hash = page_script_hash
        state.page_name = page_name
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        state.cached_message_hashes.extend(self.cache)
        ctx = state.context_info
        ctx.timezone, ctx.timezone_offset, ctx.locale = self.tz, 0, self.locale
        ctx.url = f"{self.origin}{self.prefix}/{view.path}" + (f"?{view.query}" if view.query else "")
        ctx.is_embedded, ctx.color_scheme = False, "light"
        self.view, self._done = view, asyncio.Event()
        view.started = time.monotonic()
        try:
            await self.ws.send(msg.SerializeToString())
            await asyncio.wait_for(self._done.wait(), self.timeout)
        except TimeoutError:
            view.status = "timeout"
        except websockets.ConnectionClosed:
            view.status = "disconnected"
        if view.status == "pending":  # the reader ended without a finish
            view.status = "disconnected"
        self.view = None
        return view

    def _finish(self, status: str) -> None:
        view = self.view
        if view is None or self._done is None:
            return
        view.seconds = time.monotonic() - view.started
        if status == "ok" and view.exceptions:
            status = "error"
        view.status = status
        self._done.set()

    async def _read_loop(self) -> None:
        try:
            async for data in self.ws:
                self._handle(data)
        except websockets.ConnectionClosed:
            pass
        finally:
            if self.view is not None and self._done is not None and not self._done.is_set():
                self.view.status = "disconnected"
                self._done.set()

    def _handle(self, data: bytes) -> None:
        fm = ForwardMsg()
        fm.ParseFromString(data)
        kind = fm.WhichOneof("type")
        view = self.view
        if view is not None:
            view.messages += 1
            view.bytes += len(data)
        if fm.metadata.cacheable and fm.hash and kind != "ref_hash":
            self.cache[fm.hash] = self.runs
        if kind == "ref_hash":
            if view is not None:
                view.ref_hashes += 1
                view.deltas += 1
            if fm.ref_hash in self.cache:
                self.cache[fm.ref_hash] = self.runs
            elif view is not None:  # the browser would fail here too ("Cached ForwardMsg MISS")
                view.exceptions.append(f"cache miss {fm.ref_hash}")
        elif kind == "new_session":
            ns = fm.new_session
            self.auto_reruns.clear()  # a new run of the page: its fragments announce themselves again
            self.max_cache_age = ns.config.max_cached_message_age or self.max_cache_age
            self.current_hash = ns.page_script_hash
            self._pages(ns.app_pages)
        elif kind == "navigation":
            self.current_hash = fm.navigation.page_script_hash or self.current_hash
            self._pages(fm.navigation.app_pages)
        elif kind == "delta" and view is not None:
            view.deltas += 1
            el = fm.delta.new_element if fm.delta.WhichOneof("type") == "new_element" else None
            if el is not None:
                which = el.WhichOneof("type")
                if which == "exception" and not el.exception.is_warning:
                    view.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
                elif which == "alert" and el.alert.format == ALERT_ERROR:
                    view.error_alerts += 1
                elif which == "page_link":
                    pl = el.page_link
                    view.page_links.append((pl.page_script_hash, pl.page, pl.query_string, pl.disabled))
        elif kind == "session_event" and view is not None:
            ev = fm.session_event
            if ev.WhichOneof("type") == "script_compilation_exception":
                exc = ev.script_compilation_exception
                view.exceptions.append(f"{exc.type}: {exc.message}"[:300])
        elif kind == "page_profile" and view is not None:  # only with browser.gatherUsageStats on
            view.server_seconds = (fm.page_profile.exec_time + fm.page_profile.prep_time) / 1e6
        elif kind == "auto_rerun":
            self.auto_reruns[fm.auto_rerun.fragment_id] = fm.auto_rerun.interval
        elif kind == "page_not_found" and view is not None:
            view.exceptions.append(f"page not found: {fm.page_not_found.page_name}")
        elif kind == "script_finished":
            if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return  # another run follows (a rerun asked for during this one)
            # as the browser's message cache: count the run, drop what has not been used for max_cache_age runs
            self.runs += 1
            self.cache = {h: run for h, run in self.cache.items() if self.runs - run <= self.max_cache_age}
            self._finish(FINISHED.get(fm.script_finished, "error"))

    def _pages(self, app_pages: Any) -> None:
        for p in app_pages:
            self.pages[p.url_pathname] = p.page_script_hash
