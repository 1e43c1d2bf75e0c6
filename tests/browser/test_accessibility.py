"""Accessibility in the browser: axe-core's WCAG 2.1 A/AA rules (the packaged engine) on every
page, in light and dark mode, plus our own checks: every control labelled, the keyboard
reaches the skip link first and the focus ring is visible."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, sign_in

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _pages(page: Any, site: Site) -> list[str]:
    page.goto("/alerts")
    alert = page.locator("table tbody tr a[href^='/alerts/']").first.get_attribute("href")
    page.goto(f"/?election_id={site.election_id}")
    constituency = page.locator("table tbody a[href^='/constituencies/']").first
    return [
        "/",
        "/alerts",
        str(alert),
        str(constituency.get_attribute("href")),
        "/files",
        "/handover",
    ]


def _violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
        for v in result.response["violations"]
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_pass_axe_wcag_aa(page: Any, site: Site, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    page.goto("/login")
    assert _violations(page) == []
    sign_in(page, "observer")
    for path in _pages(page, site):
        page.goto(path)
        assert _violations(page) == [], path


def test_every_control_has_a_label_and_focus_is_visible(page: Any, site: Site) -> None:
    sign_in(page, "observer")
    for path in _pages(page, site):
        page.goto(path)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
                .map(el => el.outerHTML)"""
        )
        assert unlabelled == [], path
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement, style = getComputedStyle(el);
                return [el.className, style.outlineStyle, parseFloat(style.outlineWidth)]; }"""
        )
        assert focused[0] == "skip", path  # the first Tab stop skips to the content
        assert focused[1] != "none", path
        assert focused[2] >= 2, path
        page.keyboard.press("Tab")
        after = page.evaluate("() => document.activeElement.closest('header') !== null")
        assert after, path  # then the header, in reading order
