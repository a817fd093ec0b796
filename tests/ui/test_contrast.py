"""Text is readable in both themes: every colour pair the widgets use has a contrast of at least
4.5:1 (WCAG AA for normal text)."""

from __future__ import annotations

import pytest

from desktop_app.ui import theme

MINIMUM = 4.5


def luminance(hex_color: str) -> float:
    channels = [int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def pairs(colors: theme.Colors) -> dict[str, tuple[str, str]]:
    on_accent = "#10151c" if colors.dark else "#ffffff"  # the Call button (call_form.apply_theme)
    return {
        "text on window": (colors.text, colors.window),
        "text on fields": (colors.text, colors.base),
        "hints on window": (colors.muted, colors.window),
        "hints on fields": (colors.muted, colors.base),
        "queued card": (colors.success_fg, colors.success_bg),
        "problem card": (colors.error_fg, colors.error_bg),
        "error text on window": (colors.error_fg, colors.window),
        "success text on window": (colors.success_fg, colors.window),
        "warning box": (colors.warning_fg, colors.warning_bg),
        "sandbox banner": (colors.sandbox_fg, colors.sandbox_bg),
        "Call button": (on_accent, colors.accent),
        "disabled Call button": (colors.muted, colors.alt_base),
    }


@pytest.mark.parametrize("colors", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
def test_every_text_colour_pair_reads_at_4_5_to_1(colors: theme.Colors) -> None:
    low = {name: round(contrast(fg, bg), 2) for name, (fg, bg) in pairs(colors).items()}
    assert {name: ratio for name, ratio in low.items() if ratio < MINIMUM} == {}


@pytest.mark.parametrize("badge", theme.BADGE_COLORS)
def test_white_profile_badges_read_at_4_5_to_1(badge: str) -> None:
    assert contrast("#ffffff", badge) >= MINIMUM
