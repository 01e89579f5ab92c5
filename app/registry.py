"""App layer: the page registry — every page's file, address, the filters its sidebar shows and its default period.
Navigation, the URL state and the tests (the accessibility checks too) all read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FILTERS = ("full", "dates", "none")


@dataclass(frozen=True)
class PageSpec:
    """One page: its file in pages/, its address, which filters its sidebar shows (`full`, `dates` or `none`), its
    default period preset, and whether the sidebar lists it.

    No icon: Streamlit draws its Material icons as words set in an icon font ("stacked_line_chart"), and wherever that
    font is not used (a reader who sets their own fonts, a text-only view, copy and paste) the words are what is
    read. A page's title is its name."""

    key: str
    file: str
    url_path: str
    filters: str = "full"
    default_period: str = "last30"
    in_sidebar: bool = True

    def __post_init__(self) -> None:
        if self.filters not in FILTERS:
            raise ValueError(f"PageSpec {self.key!r}: filters={self.filters!r} is not one of {', '.join(FILTERS)} "
                             "(pages carry no icon: see PageSpec)")

    @property
    def stem(self) -> str:
        """The file's name: also an address, which Streamlit's pages/ folder discovery serves on a fresh server."""
        return Path(self.file).stem


PAGES = (
    PageSpec("overview", "pages/overview.py", "ringkasan"),
    PageSpec("throughput", "pages/throughput.py", "layanan"),
    PageSpec("processing", "pages/processing.py", "waktu-proses"),
    PageSpec("map", "pages/map.py", "peta"),
    PageSpec("tourism", "pages/tourism.py", "pariwisata", filters="dates", default_period="all"),
    PageSpec("smartcity", "pages/smartcity.py", "kota-cerdas", filters="dates", default_period="ytd"),
    PageSpec("satisfaction", "pages/satisfaction.py", "kepuasan", filters="dates", default_period="ytd"),
    PageSpec("data", "pages/data.py", "tentang-data", filters="none"),
    PageSpec("upload", "pages/upload.py", "unggah", filters="none"),
    PageSpec("alerts", "pages/alerts.py", "peringatan", filters="none"),
    PageSpec("kiosk", "pages/kiosk.py", "kiosk", filters="none", in_sidebar=False),
    PageSpec("accessibility", "pages/accessibility.py", "aksesibilitas", filters="none", in_sidebar=False),
)
BY_KEY = {spec.key: spec for spec in PAGES}
DEFAULT = "overview"


def spec(key: str) -> PageSpec:
    return BY_KEY.get(key, BY_KEY[DEFAULT])


def addresses(s: PageSpec) -> set[str]:
    """Every address a page answers to: its own and its file's stem."""
    return {s.url_path, s.stem}
