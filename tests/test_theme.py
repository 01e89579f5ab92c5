"""Unit tests of the one theme (kpi/theme.py): contrast ratios (WCAG 2.2: text 4.5:1, graphics 3:1) and status colours
that stay apart under simulated colour-vision deficiencies. The arithmetic is WCAG's and Machado et al.'s (2009),
written out here so the theme's numbers are checked against a second computation, not against themselves."""

from __future__ import annotations

import itertools

import pytest

from kpi import theme


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def luminance(hex_colour: str) -> float:
    """WCAG 2.2 relative luminance."""
    r, g, b = (_linear(c) for c in _rgb(hex_colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2.2 contrast ratio, (L1 + 0.05) / (L2 + 0.05) with L1 the lighter."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB; achromatopsia keeps the luminance only.
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
}


def seen(hex_colour: str, vision: str) -> tuple[float, float, float]:
    rgb = [_linear(c) for c in _rgb(hex_colour)]
    if vision == "achromatopsia":
        y = luminance(hex_colour)
        return y, y, y
    if vision == "typical":
        return tuple(rgb)
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True))))
                 for row in MACHADO[vision])


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    r, g, b = rgb
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, \
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(v: float) -> float:
        return v ** (1 / 3) if v > 0.008856 else 7.787 * v + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: str, b: str, vision: str) -> float:
    """CIE76 colour difference between two colours as a person with `vision` sees them."""
    return sum((p - q) ** 2 for p, q in zip(lab(seen(a, vision)), lab(seen(b, vision)), strict=True)) ** 0.5


def test_the_formulas_against_hand_worked_values() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)   # the lightest grey that passes 4.5:1
    assert contrast("#E69F00", "#FFFFFF") == pytest.approx(2.25, abs=0.01)   # Okabe-Ito orange: fails 3:1 on white
    assert delta_e("#FF0000", "#FF0000", "deuteranopia") == 0
    # a common chart red and green: far apart to typical vision, nearly one colour for a deuteranope
    assert delta_e("#D62728", "#2CA02C", "typical") > 100 > 10 > delta_e("#D62728", "#2CA02C", "deuteranopia")


GRAPHICS = 3.0   # WCAG 1.4.11: parts of graphics needed to understand them
TEXT = 4.5       # WCAG 1.4.3: normal text


@pytest.mark.parametrize(("name", "colours"), [("STATUS_COLOURS", theme.STATUS_COLOURS),
                                               ("PROGRAMME_COLOURS", theme.PROGRAMME_COLOURS),
                                               ("TARGET_COLOURS", theme.TARGET_COLOURS),
                                               ("AGE_COLOURS", theme.AGE_COLOURS),
                                               ("GRADE_COLOURS", theme.GRADE_COLOURS),
                                               ("ALERT_STEP_COLOURS", dict(enumerate(theme.ALERT_STEP_COLOURS))),
                                               ("NO_STATUS", {"none": theme.NO_STATUS})])
def test_every_status_colour_keeps_3_to_1_on_the_dashboard(name: str, colours: dict[str, str]) -> None:
    for key, colour in colours.items():
        assert contrast(colour, theme.BACKGROUND) >= GRAPHICS, f"{name}[{key}] {colour}"


def test_dashboard_text_colours_keep_4_5_to_1() -> None:
    for fg, bg in ((theme.TEXT, theme.BACKGROUND), (theme.TEXT, theme.SIDEBAR), (theme.MUTED, theme.BACKGROUND),
                   (theme.MUTED, theme.SIDEBAR), (theme.BRAND, theme.BACKGROUND), (theme.BRAND, theme.SIDEBAR),
                   (theme.BRAND_TEXT, theme.BRAND), (theme.BRAND_SUBTEXT, theme.BRAND)):
        assert contrast(fg, bg) >= TEXT, f"{fg} on {bg}: {contrast(fg, bg):.2f}"


@pytest.mark.parametrize("variant", sorted(theme.KIOSK_PALETTES))
def test_kiosk_palettes_keep_contrast(variant: str) -> None:
    p = theme.KIOSK_PALETTES[variant]
    for text in ("fg", "muted"):
        for bg in ("bg", "panel"):
            assert contrast(p[text], p[bg]) >= 7.0, f"{variant} {text} on {bg}"   # read across a room: AAA
    for tone in ("good", "bad"):   # trend arrows and words on the number cards
        assert contrast(p[tone], p["panel"]) >= TEXT, f"{variant} {tone} text on its card"
    for band in ("good", "amber", "bad", "none", "a", "b"):   # bars, circles and lines on the screen
        assert contrast(p[band], p["bg"]) >= GRAPHICS, f"{variant} {band} on the background"
    assert contrast(p["warn_fg"], p["warn_bg"]) >= TEXT


STATUS_SETS = {
    "dashboard index": list(theme.STATUS_COLOURS.values()),
    "kiosk dark": [theme.KIOSK_PALETTES["dark"][k] for k in ("good", "amber", "bad")],
    "kiosk light": [theme.KIOSK_PALETTES["light"][k] for k in ("good", "amber", "bad")],
    "programmes": list(theme.PROGRAMME_COLOURS.values()),
    "survey grades": list(theme.GRADE_COLOURS.values()),
}


@pytest.mark.parametrize("vision", ["typical", "protanopia", "deuteranopia", "achromatopsia"])
@pytest.mark.parametrize("name", sorted(STATUS_SETS))
def test_status_colours_stay_apart_with_any_colour_vision(name: str, vision: str) -> None:
    """Each pair of one set's status colours differs by at least 10 (CIE76 ΔE; about 2.3 is just noticeable) as a
    protanope, a deuteranope or a person without colour vision sees them. The symbol and word beside each colour
    carry the status anyway; this keeps the colours from contradicting them."""
    for a, b in itertools.combinations(STATUS_SETS[name], 2):
        assert delta_e(a, b, vision) >= 10, f"{name}: {a} and {b} look alike with {vision}"
