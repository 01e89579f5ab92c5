"""App layer: the page registry — every page's file, address, icon, the filters its sidebar shows and its default
period. Navigation, the URL state and the tests all read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageSpec:
    """One page: its file in pages/, its address, its icon, which filters its sidebar shows (`full`, `dates` or
    `none`) and its default period preset."""

    key: str
    file: str
    url_path: str
    icon: str
    filters: str = "full"
    default_period: str = "last30"
    in_sidebar: bool = True

    @property
    def stem(self) -> str:
        """The file's name: also an address, which Streamlit's pages/ folder discovery serves on a fresh server."""
        return Path(self.file).stem


PAGES = (
    PageSpec("overview", "pages/overview.py", "ringkasan", ":material/dashboard:"),
    PageSpec("throughput", "pages/throughput.py", "layanan", ":material/stacked_line_chart:"),
    PageSpec("processing", "pages/processing.py", "waktu-proses", ":material/timer:"),
    PageSpec("map", "pages/map.py", "peta", ":material/map:"),
    PageSpec("tourism", "pages/tourism.py", "pariwisata", ":material/flight_land:", filters="dates",
             default_period="all"),
    PageSpec("smartcity", "pages/smartcity.py", "kota-cerdas", ":material/hub:", filters="dates",
             default_period="ytd"),
    PageSpec("satisfaction", "pages/satisfaction.py", "kepuasan", ":material/sentiment_satisfied:", filters="dates",
             default_period="ytd"),
    PageSpec("data", "pages/data.py", "tentang-data", ":material/table_view:", filters="none"),
    PageSpec("upload", "pages/upload.py", "unggah", ":material/upload_file:", filters="none"),
    PageSpec("alerts", "pages/alerts.py", "peringatan", ":material/notifications_active:", filters="none"),
    PageSpec("kiosk", "pages/kiosk.py", "kiosk", ":material/tv:", filters="none", in_sidebar=False),
)
BY_KEY = {spec.key: spec for spec in PAGES}
DEFAULT = "overview"


def spec(key: str) -> PageSpec:
    return BY_KEY.get(key, BY_KEY[DEFAULT])


def addresses(s: PageSpec) -> set[str]:
    """Every address a page answers to: its own and its file's stem."""
    return {s.url_path, s.stem}
