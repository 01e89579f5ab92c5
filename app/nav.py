"""App layer: the page registry, the sidebar navigation and the app frame every address opens in."""

from __future__ import annotations

import contextvars
import runpy
from pathlib import Path
from typing import Any

import streamlit as st

from app.registry import DEFAULT, PAGES, addresses
from app.urlstate import carried_params
from base.i18n import t
from base.settings import city_settings

ROOT = Path(__file__).resolve().parent.parent


def favicon() -> Any:
    """A small civic-blue tile drawn in code: an emoji or Material icon favicon would be fetched from a CDN."""
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", (32, 32), (11, 79, 138))
    draw = ImageDraw.Draw(tile)
    for box in ((8, 6, 12, 26), (8, 6, 22, 10), (8, 15, 22, 19), (20, 6, 24, 19)):  # a white "P"
        draw.rectangle(box, fill=(255, 255, 255))
    return tile


# --- the app frame ------------------------------------------------------------------------------------------------
# On a server's very first session Streamlit runs its older pages/-folder navigation once, before dashboard.py's
# st.navigation takes over: an address naming a file in pages/ (its stem: /throughput) then runs that file alone, and
# any other address gets a "Page not found" dialog. So every page file starts with frame(): run alone, it runs
# dashboard.py instead (which draws the frame and runs the page inside it) and stops; and every address of the
# registry that is not a page's stem has a stub in pages/ (pages/<address>.py) that does only that. The registry
# gives each page both addresses, so either one resolves in dashboard.py's navigation too.
HOME = "home"  # the default page's own path, reserved by Streamlit; / serves it
_IN_FRAME: contextvars.ContextVar[bool] = contextvars.ContextVar("pantau_in_frame", default=False)


def frame() -> None:
    """Call first in every page file: inside dashboard.py's navigation it returns; run alone, it runs the app."""
    if _IN_FRAME.get():
        return
    token = _IN_FRAME.set(True)
    try:
        runpy.run_path(str(ROOT / "dashboard.py"), run_name="__main__")
    finally:
        _IN_FRAME.reset(token)
    st.stop()


def run(page: st.Page) -> None:
    """Run the page st.navigation chose, inside the frame."""
    token = _IN_FRAME.set(True)
    try:
        page.run()
    finally:
        _IN_FRAME.reset(token)


def pages(language: str) -> dict[str, st.Page]:
    """st.Page per registry entry, and one more per other address it answers to (hidden from the menu, see frame()).

    The overview is the default page, served at /. Streamlit never resolves a typed address to the default page (it
    is served at / whatever its url_path), so the default page holds a path of its own (HOME) and the overview's
    addresses are aliases like every other page's."""
    out: dict[str, st.Page] = {}
    for s in PAGES:
        title = t(f"nav.{s.key}", language)
        default = s.key == DEFAULT
        # No page icon: Streamlit would fetch a Material icon from Google as the favicon (the app works offline).
        out[s.key] = st.Page(ROOT / s.file, title=title, url_path=HOME if default else s.url_path, default=default)
        for alias in sorted(addresses(s) - ({HOME} if default else {s.url_path})):
            out[f"{s.key}@{alias}"] = st.Page(ROOT / s.file, title=title, url_path=alias)
    return out


def page_key(all_pages: dict[str, st.Page], current: st.Page) -> str:
    """The registry key of the page st.navigation chose (an alias counts as its page)."""
    for key, page in all_pages.items():
        if page.url_path == current.url_path:
            return key.split("@")[0]
    return DEFAULT


def sidebar_navigation(all_pages: dict[str, st.Page], current_key: str, language: str) -> None:
    """Links that carry the language and filters along, so the view survives a change of page."""
    params = carried_params()
    st.sidebar.markdown(f"<div class='pantau-brand'><span>{t('app.government', language, city=city_settings().name)}"
                        f"</span><b>Pantau</b></div>", unsafe_allow_html=True)
    for s in PAGES:
        if not s.in_sidebar:
            continue
        st.sidebar.page_link(all_pages[s.key], label=t(f"nav.{s.key}", language), icon=s.icon,
                             query_params={k: v for k, v in params.items() if k == "lang"} if s.filters == "none"
                             else params, disabled=s.key == current_key)


CSS = """
<style>
.pantau-brand {border-left: 6px solid #0B4F8A; padding: 2px 0 2px 10px; margin-bottom: 8px; line-height: 1.25;}
.pantau-brand span {display: block; font-size: 0.78rem; color: #4A5565; text-transform: uppercase;
                    letter-spacing: 0.04em;}
.pantau-brand b {font-size: 1.35rem; color: #0B4F8A;}
.pantau-band {background: #0B4F8A; color: #FFFFFF; padding: 10px 16px; border-radius: 4px; margin-bottom: 4px;}
.pantau-band h1 {color: #FFFFFF; font-size: 1.6rem; margin: 0; padding: 0;}
.pantau-band p {color: #E8EEF5; margin: 2px 0 0 0; font-size: 0.95rem;}
.pantau-legend {display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 0.9rem; color: #1A1F2B;}
.pantau-legend i {display: inline-block; width: 14px; height: 14px; border-radius: 50%; margin-right: 6px;
                  vertical-align: -2px; border: 1px solid #4A5565;}
[data-testid="stMetricValue"] {color: #1A1F2B;}
</style>
"""


def style() -> None:
    st.html(CSS)
