"""In a real browser: the completeness matrix and its charts at 1440 and 390 px, reached from the
dashboard's deadlines panel, filtered through its form, as the hub and as a partner country."""

from __future__ import annotations

from oap.completeness import CELL_STATES
from oap.models import User
from oap.selectors import completeness

from .conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS

WIDTHS = ((1440, 900), (390, 844))

PAGE_WIDTH = """() => ({width: document.documentElement.clientWidth, scrollWidth: document.documentElement.scrollWidth,
  region: document.querySelector('.scroll') && document.querySelector('.scroll').getBoundingClientRect().right})"""


def test_the_matrix_and_its_charts_for_the_hub_at_both_widths(visit):
    analyst = visit("europol.analyst")
    page = analyst.page
    page.click("#panel-deadlines a:has-text('2026 H2')")  # the deadlines panel links the matrix
    page.wait_for_selector("#matrix")
    assert "Who has reported: 2026 H2" in page.inner_text("h1")
    assert "31 January 2027" in page.inner_text("#deadlines")
    expected = completeness(user=User.objects.get(username="europol.analyst"), year=2026, half_year=2)
    cells = page.locator("#matrix td.cell")
    assert cells.count() == len(expected.cells)
    for state in CELL_STATES.values():  # every cell shows its mark, never colour alone
        for index in range(page.locator(f"#matrix td[data-state='{state.code}']").count()):
            cell = page.locator(f"#matrix td[data-state='{state.code}']").nth(index)
            assert cell.locator(".mark").inner_text() == state.mark
    legend = page.inner_text(".legend")
    assert all(state.label in legend for state in CELL_STATES.values())
    plans = page.locator("#chart-plans li")
    assert plans.count() == len(expected.plans())
    assert page.locator("#chart-organisations li").count() == len(expected.organisations)
    total = expected.total()
    assert f"{total.delivered} of {total.expected} expected reports" in page.inner_text("#summary")
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        found = page.evaluate(PAGE_WIDTH)
        assert found["scrollWidth"] <= found["width"], found  # the matrix scrolls in its own box
        assert found["region"] <= found["width"] + 0.5, found
        analyst.shot(f"matrix-{width}")
        page.locator("#charts").scroll_into_view_if_needed()
        analyst.shot(f"charts-{width}")
    page.goto("/reports/completeness/?year=2025")  # a year reported, validated for the most part
    page.wait_for_selector("#chart-plans li")
    rates = page.locator("#chart-plans li").evaluate_all("items => items.map(i => Number(i.dataset.rate))")
    assert max(rates) > 50
    analyst.shot("matrix-2025-390")
    page.set_viewport_size({"width": 1440, "height": 900})
    analyst.shot("matrix-2025-1440")


def test_a_partner_filters_the_matrix_and_sees_only_what_it_may(visit):
    partner = visit("co.partner")
    page = partner.page
    page.goto("/reports/completeness/?year=2025")
    page.select_option("select[name=kind]", "third_country")
    page.select_option("select[name=period]", "2025-0")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#matrix")
    expected = completeness(user=User.objects.get(username="co.partner"), year=2025, kind=["third_country"])
    headers = page.locator("#matrix thead th abbr").all_inner_texts()
    assert headers == [o.code for o in expected.organisations]
    assert page.locator("#matrix tr[data-action]").count() == len(expected.actions)
    undisclosed = page.locator("#matrix td[data-state='undisclosed']")
    assert undisclosed.count() == sum(c.state == "undisclosed" for c in expected.cells.values()) > 0
    assert "only validated figures are yours to see" in page.inner_text("#limited-note")
    page.set_viewport_size({"width": 390, "height": 844})
    partner.shot("partner-390")
    page.goto("/reports/completeness/?year=20x6")
    assert "Give the year as a number" in page.inner_text("#query-errors")
