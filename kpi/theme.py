"""Read-side layer: the one chart theme — colours, fonts and Vega's number and date locale — with the kiosk's
large-screen, dark or light look as a variant of it. Pure data: no Streamlit, no Altair objects."""

from __future__ import annotations

from typing import Any

# Okabe-Ito: distinguishable with the common colour-vision deficiencies. Yellow sits last (weak on white).
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442"]
OTHER_COLOUR = "#8C8C8C"
MAX_GROUPS = 7  # more stacked colours than this cannot be told apart; the rest becomes "other"

BACKGROUND = "#FFFFFF"       # the page and every dashboard chart (.streamlit/config.toml backgroundColor)
SIDEBAR = "#F1F4F8"          # the sidebar (config.toml [theme.sidebar] backgroundColor)
TEXT = "#1A1F2B"
MUTED = "#4A5565"            # secondary text (captions, axis labels): 4.5:1 or more on both backgrounds
BRAND = "#0B4F8A"            # civic blue: the title band, links, the focus ring
BRAND_TEXT = "#FFFFFF"       # text on the brand colour
BRAND_SUBTEXT = "#E8EEF5"
BORDER = "#D0D7E2"

# Statuses are never told by colour alone: every status colour comes with a symbol and a word (kpi.fmt.status_text).
# Still, each colour keeps 3:1 against its background (WCAG 1.4.11, graphics) and the three stay apart in lightness
# and hue under protanopia, deuteranopia and achromatopsia (tests/test_theme.py computes both).
# The service index's bands (kpi.metrics.INDEX_BANDS): dark green, ochre, brick red.
STATUS_COLOURS = {"green": "#0F572C", "amber": "#B88A00", "red": "#C43E1C"}
# The master plan's programmes (kpi.smartcity): behind, on track, done; a pillar without programmes in grey.
# After Okabe-Ito (vermilion, blue, bluish green), darkened so that the three also differ in lightness.
PROGRAMME_COLOURS = {"behind": "#B83D00", "on_track": "#00466F", "done": "#009E73"}
NO_STATUS = "#6E7781"
# On-time rate against the city's target (processing page); the open backlog within and past its deadline.
TARGET_COLOURS = {"at_target": "#0072B2", "below_target": "#D55E00"}
AGE_COLOURS = {"within": "#0072B2", "past_sla": "#D55E00"}
# The satisfaction survey's grades (kpi.skm), A to D: dark green, navy, ochre, brick red — 3:1 or more on white and
# apart in lightness, so they stay apart without colour vision. Every grade is also written as its letter and words.
GRADE_COLOURS = {"A": "#0F572C", "B": "#14256B", "C": "#B88A00", "D": "#C43E1C"}
# The steps of an alert rule (kpi.alerts), first to last: each 3:1 or more on white, told apart by lightness too.
ALERT_STEP_COLOURS = ("#0072B2", "#D55E00", "#882255", "#332288", "#000000")

# d3 format locales so Vega draws axis numbers and month names like kpi.fmt does (id: 1.234,5 and "Okt").
VEGA_LOCALES: dict[str, dict[str, Any]] = {
    "id": {
        "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]},
        "time": {
            "dateTime": "%A, %e %B %Y %X", "date": "%d/%m/%Y", "time": "%H.%M.%S", "periods": ["AM", "PM"],
            "days": ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
            "shortDays": ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
            "months": ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                       "Oktober", "November", "Desember"],
            "shortMonths": ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"],
        },
    },
    "en": {
        "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["Rp", ""]},
        "time": {
            "dateTime": "%A, %e %B %Y %X", "date": "%d/%m/%Y", "time": "%H:%M:%S", "periods": ["AM", "PM"],
            "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
            "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
            "months": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                       "October", "November", "December"],
            "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
        },
    },
}
FONT = "Source Sans Pro, sans-serif"


def vega_locale(lang: str) -> dict[str, Any]:
    return VEGA_LOCALES.get(lang, VEGA_LOCALES["id"])


def dashboard(lang: str) -> dict[str, Any]:
    """The Vega-Lite config of every dashboard chart."""
    return {
        "locale": vega_locale(lang), "font": FONT,
        "axis": {"labelColor": MUTED, "titleColor": TEXT, "labelFontSize": 12, "titleFontSize": 13,
                 "gridColor": "#E3E7EC"},
        # legends list their entries one under the other: a row of them would be cut on a narrow screen
        "legend": {"labelColor": TEXT, "titleColor": TEXT, "labelFontSize": 12, "titleFontSize": 13,
                   "orient": "bottom", "direction": "vertical", "labelLimit": 260},
        "view": {"stroke": None},
    }


# The kiosk: high-contrast palettes (text on background above WCAG AAA 7:1); series colours after Okabe-Ito; the
# status colours (good, amber, bad) chosen as the dashboard's are, for the screen's own background.
KIOSK_PALETTES: dict[str, dict[str, str]] = {
    "dark": {"bg": "#0b1220", "panel": "#152036", "fg": "#ffffff", "muted": "#c9d3e3", "grid": "#33425e",
             "a": "#56b4e9", "b": "#e69f00", "c": "#f0e442", "good": "#27e7c7", "bad": "#ff7a7a",
             "amber": "#ffec99", "none": "#8796ab", "warn_bg": "#ffc857", "warn_fg": "#111111"},
    "light": {"bg": "#ffffff", "panel": "#eef2f7", "fg": "#0b1220", "muted": "#2f3b4f", "grid": "#c3ccd9",
              "a": "#0063a6", "b": "#a35200", "c": "#6a3d9a", "good": STATUS_COLOURS["green"],
              "bad": STATUS_COLOURS["red"], "amber": STATUS_COLOURS["amber"], "none": "#6e7781",
              "warn_bg": "#b3001b", "warn_fg": "#ffffff"},
}


def kiosk_palette(variant: str) -> dict[str, str]:
    return KIOSK_PALETTES.get(variant, KIOSK_PALETTES["dark"])


def scaled(px: float) -> dict[str, str]:
    """A size that grows with the chart's own width (a Vega expression): a 3840-wide screen gets twice the 1920-wide
    sizes."""
    return {"expr": f"max({px}, {px} * width / 1830)"}


def kiosk(lang: str, variant: str) -> dict[str, Any]:
    """The dashboard's theme for a screen read across a room: the same locale and font family, larger type, the
    screen's palette."""
    p = kiosk_palette(variant)
    axis_font, title_font = scaled(22), scaled(24)
    return {
        "locale": vega_locale(lang), "font": "sans-serif",
        "axis": {"labelFontSize": axis_font, "titleFontSize": title_font, "labelColor": p["fg"],
                 "titleColor": p["muted"], "gridColor": p["grid"], "domainColor": p["grid"], "tickColor": p["grid"],
                 "labelLimit": 420, "titleFontWeight": "normal"},
        "legend": {"labelFontSize": axis_font, "titleFontSize": title_font, "labelColor": p["fg"],
                   "titleColor": p["muted"], "orient": "top", "symbolSize": scaled(400), "symbolStrokeWidth": 6,
                   "labelLimit": 600},
        "view": {"strokeWidth": 0},
    }
