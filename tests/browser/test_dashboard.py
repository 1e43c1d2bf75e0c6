"""The dashboard in a real Chromium: sign in, overview, drill-down, alert triage end to end,
live data over SSE without a reload, Russian, screenshots at tablet and desktop widths, and
a lead snoozing an alert from its page."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import ARTIFACTS, Site, shoot, sign_in


def _expect() -> Any:
    from playwright.sync_api import expect

    return expect


def test_overview_drills_down_to_a_constituency(page: Any, site: Site) -> None:
    expect = _expect()
    sign_in(page, "viewer")
    summary = site.api(f"/api/v1/elections/{site.election_id}/summary")
    bulletins = summary["participation"]["bulletins_issued"]
    expect(page.locator('[data-figure="bulletins"]')).to_have_text(f"{bulletins:,}")
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    first = rows.first.locator("a").first
    name = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.get_by_role("heading", name="Hours")).to_be_visible()


def test_alert_triage_end_to_end_lands_in_the_audit_trail(page: Any, site: Site) -> None:
    expect = _expect()
    sign_in(page, "observer")
    page.goto("/alerts?status=active")
    page.locator("table tbody tr a[href^='/alerts/']").first.click()
    page.wait_for_url(re.compile(r"/alerts/[0-9a-f-]+$"))
    page.get_by_label("Assign to").fill("observer")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_label("Note").fill("Checked the <b>chain</b> dump; asking the region.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".notes")).to_contain_text("<b>chain</b>")  # text, not markup
    page.get_by_role("button", name="investigating").click()
    expect(page.locator("[data-alert-status]")).to_have_text("investigating")
    page.get_by_role("button", name="resolved").click()
    expect(page.locator("[data-alert-status]")).to_have_text("resolved")
    trail = page.locator(".history")
    for action in ("assign", "note", "status"):
        expect(trail).to_contain_text(action)
    expect(trail).to_contain_text("investigating → resolved")
    shoot(page, "alert-820x1180")
    page.set_viewport_size({"width": 1440, "height": 900})
    shoot(page, "alert-1440x900")


def test_an_ingest_in_another_process_reaches_the_open_page(page: Any, site: Site) -> None:
    expect = _expect()
    sign_in(page, "viewer")
    page.goto(f"/?election_id={site.election_id}")
    before = int(page.locator('[data-figure="open_alerts"]').inner_text().replace(",", ""))
    marker = page.evaluate("() => { window.__notReloaded = true; return 1; }")
    assert marker == 1
    site.elmon("ingest", str(site.held_back), "--election-id", site.election_id)
    expect(page.locator("[data-live-note]")).to_be_visible(timeout=60_000)
    after = site.api(f"/api/v1/elections/{site.election_id}/summary")["alerts"]["open"]
    assert after > before
    expect(page.locator('[data-figure="open_alerts"]')).to_have_text(f"{after:,}", timeout=60_000)
    assert page.evaluate("() => window.__notReloaded === true")  # the same document, updated


def test_switching_to_russian_translates_the_pages(page: Any, site: Site) -> None:
    expect = _expect()
    sign_in(page, "viewer")
    page.get_by_role("link", name="RU", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("link", name="Обзор")).to_be_visible()
    page.get_by_role("link", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_screenshots_at_tablet_and_desktop_widths(page: Any, site: Site) -> None:
    sign_in(page, "lead")
    written = [shoot(page, "overview-820x1180")]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 820  # no sideways scrolling of the page on a tablet
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"/?election_id={site.election_id}")
    written.append(shoot(page, "overview-1440x900"))
    page.goto("/alerts")
    written.append(shoot(page, "alerts-1440x900"))
    assert all(p.stat().st_size > 10_000 and p.parent == ARTIFACTS for p in written)
    # A lead snoozes an alert from its page, then wakes it (later tests want it active).
    expect = _expect()
    page.goto("/alerts?status=active")
    page.locator("table tbody tr a[href^='/alerts/']").first.click()
    page.get_by_label("or until worse").check()
    page.get_by_role("button", name="Snooze", exact=True).click()
    expect(page.locator("[data-alert-status]")).to_have_text("snoozed")
    expect(page.locator("[data-snoozed-until]")).to_have_text("the evidence worsens")
    page.get_by_role("button", name="active", exact=True).click()
    expect(page.locator("[data-alert-status]")).to_have_text("active")


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def _with_strict_csp(page: Any) -> None:
    """Every page of the site gets a CSP without 'unsafe-inline' / 'unsafe-eval'."""

    def add_header(route: Any) -> None:
        if route.request.resource_type != "document":
            route.continue_()  # the policy is the document's; streams pass untouched
            return
        response = route.fetch(max_redirects=0)  # the browser follows them itself
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    page.route("**/*", add_header)
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation', e =>"
        " window.__csp.push([e.violatedDirective, (e.target.outerHTML || '').slice(0, 160)]));"
    )


def test_charts_draw_under_a_strict_csp(page: Any, site: Site) -> None:
    expect = _expect()
    _with_strict_csp(page)
    sign_in(page, "viewer")
    page.goto(f"/?election_id={site.election_id}&sort=-votes_cast")
    page.locator("table tbody a[href^='/constituencies/']").first.click()
    for chart in ("chart-hourly", "chart-cumulative", "chart-velocity"):
        drawn = page.locator(f'[data-chart-for="{chart}"]')
        expect(drawn).to_have_attribute("data-drawn", "true", timeout=30_000)
        expect(drawn.locator("svg.main-svg").first).to_be_visible()
    violations = page.evaluate("() => window.__csp")
    # The one refusal is the map traces' stylesheet plotly.js injects as it loads (unused).
    assert [v for v in violations if "maplibregl" not in v[1]] == []
    page.goto("/alerts?status=active")
    page.locator("table tbody tr a[href^='/alerts/']").first.click()
    window = page.locator('[data-chart-for="chart-window"]')
    expect(window).to_have_attribute("data-drawn", "true", timeout=30_000)
    shoot(page, "constituency-charts-820x1180")
