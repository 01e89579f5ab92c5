"""App layer: the page registry, the sidebar navigation and the app frame every address opens in."""

from __future__ import annotations

import contextvars
import runpy
from pathlib import Path
from typing import Any

import streamlit as st

from app.registry import DEFAULT, PAGES, addresses
from app.urlstate import carried_params
from base.i18n import LANGS, t
from base.settings import city_settings
from kpi import theme

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
        st.sidebar.page_link(all_pages[s.key], label=t(f"nav.{s.key}", language),
                             query_params={k: v for k, v in params.items() if k == "lang"} if s.filters == "none"
                             else params, disabled=s.key == current_key)


# --- the document's language ---------------------------------------------------------------------------------------
# Streamlit 1.67 serves every page as the same index.html with <html lang="en"> and has no setting for it (st.set_page_
# config takes none; streamlit/streamlit#15726). So the frame sets it with a small script on every run, the kiosk too,
# and again when the language switch changes the address: a screen reader then reads Indonesian as Indonesian.
# nginx can serve the right attribute from the first byte (deploy/nginx-pantau.conf, docs/operations.md).
LANG_MARK = "pantau-lang"


def document_language(language: str) -> None:
    """Set <html lang> to the page's language (id | en). The element holding the script takes no room on the page."""
    code = language if language in LANGS else LANGS[0]
    st.html(f"<div class='{LANG_MARK}' data-lang='{code}' hidden></div>"
            f"<style>.stElementContainer:has(.{LANG_MARK}) {{display: none;}}</style>"
            f"<script>document.documentElement.lang = '{code}';</script>", unsafe_allow_javascript=True)


# The frame's own styles, in the theme's colours (kpi.theme). Streamlit draws captions and the current page's (disabled)
# sidebar link in faded text (below 4.5:1) and shows a focus ring on some controls only: these rules give captions the
# theme's secondary text colour, mark the current page in full text colour, bold and with a bar (not by colour alone),
# and give every focusable control the same visible ring.
CSS = f"""
<style>
.pantau-brand {{border-left: 6px solid {theme.BRAND}; padding: 2px 0 2px 10px; margin-bottom: 8px; line-height: 1.25;}}
.pantau-brand span {{display: block; font-size: 0.78rem; color: {theme.MUTED}; text-transform: uppercase;
                    letter-spacing: 0.04em;}}
.pantau-brand b {{font-size: 1.35rem; color: {theme.BRAND};}}
.pantau-band {{background: {theme.BRAND}; color: {theme.BRAND_TEXT}; padding: 10px 16px; border-radius: 4px;
              margin-bottom: 4px;}}
.pantau-band h1 {{color: {theme.BRAND_TEXT}; font-size: 1.6rem; margin: 0; padding: 0; overflow-wrap: anywhere;}}
.pantau-band p {{color: {theme.BRAND_SUBTEXT}; margin: 2px 0 0 0; font-size: 0.95rem;}}
.pantau-legend {{display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 0.9rem; color: {theme.TEXT};}}
.pantau-legend i {{display: inline-block; width: 14px; height: 14px; border-radius: 50%; margin-right: 6px;
                  vertical-align: -2px; border: 1px solid {theme.MUTED};}}
[data-testid="stMetricValue"] {{color: {theme.TEXT};}}
[data-testid="stCaptionContainer"] {{color: {theme.MUTED} !important; opacity: 1 !important;}}
[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"][disabled] {{
  border-left: 4px solid {theme.BRAND}; border-radius: 0 4px 4px 0; background: {theme.BACKGROUND};}}
[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"][disabled] span,
[data-testid="stSidebar"] a[data-testid="stPageLink-NavLink"][disabled] p {{color: {theme.TEXT} !important;
  font-weight: 700;}}
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible,
[role="button"]:focus-visible, [role="radio"]:focus-visible, [role="tab"]:focus-visible, [tabindex]:focus-visible,
[data-baseweb="select"]:focus-within, [data-baseweb="input"]:focus-within {{
  outline: 3px solid {theme.BRAND} !important; outline-offset: 2px !important;}}
</style>
"""


def style() -> None:
    st.html(CSS)
