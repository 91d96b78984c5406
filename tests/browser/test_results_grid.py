"""In a real browser: the results grid by keyboard and by paste in a Spanish browser, and every list
page the demo roles reach at 1440 and 390 px.

Screenshots (test-artifacts/screenshots/): the grid, the action page with its results summary, and
the dashboard of each demo role at both widths. The factsheet PDF's first page is saved by
test_report_pages.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

from oap.choices import EntryStatus
from oap.models import OperationalAction, Organisation, ResultEntry

from .conftest import BROWSER_MARKS
from .test_report_pages import WIDE_ELEMENTS

pytestmark = BROWSER_MARKS

ACTION, PERIOD = "DRUGS-CCH-26 1.1", "2027-H1"  # Colombia co-leads it; nothing reported for 2027 H1 yet

#: a paste event carrying `text` as a spreadsheet puts it on the clipboard (one cell per line)
PASTE = """(input, text) => {
  const data = new DataTransfer();
  data.setData("text/plain", text);
  input.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
}"""
#: visible value boxes of the grid: (id, unit), in page order
SHOWN_INPUTS = """() => Array.from(document.querySelectorAll("#results-grid input[data-grid-value]"))
  .filter((input) => input.offsetParent !== null)
  .map((input) => [input.id, input.closest("tr").dataset.unit])"""


def stored() -> dict[str, tuple[Decimal, str]]:
    entries = ResultEntry.objects.filter(
        action__code=ACTION, organisation__code="CO", year=2027, half_year=1
    ).select_related("result_type")
    return {entry.result_type.code: (entry.value, entry.status) for entry in entries}


def test_six_figures_by_keyboard_and_paste_in_a_spanish_browser_then_submitted(visit):
    colombia = visit("co.partner", locale="es-ES", viewport={"width": 1440, "height": 900})
    page = colombia.page
    assert page.evaluate("navigator.language") == "es-ES"
    # from the dashboard's "my actions" panel to the action's grid, then to the period
    page.locator("#panel-my-actions li", has_text=ACTION).locator("a.record-results").click()
    page.wait_for_selector("#results-grid")
    page.select_option("#grid-period-select", PERIOD)
    page.click("#grid-period button")
    page.wait_for_url(re.compile(rf"period={PERIOD}"))
    assert stored() == {}

    # three figures by keyboard: type, Enter moves to the next box; an amount typed the Spanish way
    shown = page.evaluate(SHOWN_INPUTS)
    typed = {}
    page.focus(f"#{shown[0][0]}")
    for (input_id, unit), count in zip(shown[:3], ("12", "7", "3"), strict=True):
        value = count if unit == "count" else "1250,5"
        page.keyboard.type(value)
        page.keyboard.press("Enter")
        typed[input_id.removeprefix("value-")] = value
    assert page.evaluate("document.activeElement.id") == shown[3][0]  # Enter moved on, saved nothing
    assert stored() == {}

    # three more pasted as a column copied from a spreadsheet, into the drugs counters (kg)
    page.locator("details.grid-group summary", has_text="Drugs").click()
    drugs = page.locator("details.grid-group[open]", has_text="Drugs").locator("input[data-grid-value]")
    first = drugs.first
    first.click()
    first.evaluate(PASTE, "1250,5\r\n2,75\r\n40\r\n")
    pasted = [drugs.nth(n).input_value() for n in range(3)]
    assert pasted == ["1250,5", "2,75", "40"]
    assert "3 values pasted" in page.inner_text("#grid-paste-note")
    for n, value in enumerate(pasted):
        typed[drugs.nth(n).get_attribute("id").removeprefix("value-")] = value
    colombia.shot("grid-typed-and-pasted")

    # a figure that could mean two numbers is refused beside its row, and nothing is saved
    page.fill(f"#value-{list(typed)[-1]}", "1,250")
    page.click("#grid-save")
    page.wait_for_selector("#grid-errors")
    row_error = page.inner_text(f"#error-{list(typed)[-1]}")
    assert "1,250" in row_error and "1250" in row_error
    assert stored() == {}
    colombia.shot("grid-refused")

    # corrected, saved as drafts: 1250,5 is stored as 1250.5, never 12505
    page.fill(f"#value-{list(typed)[-1]}", "40")
    page.click("#grid-save")
    page.wait_for_selector("ul.messagelist li.success")
    expected = {code: Decimal(value.replace(",", ".")) for code, value in typed.items()}
    assert {code: value for code, (value, _) in stored().items()} == expected
    assert Decimal("1250.5") in expected.values() and Decimal("12505") not in expected.values()
    assert {status for _, status in stored().values()} == {EntryStatus.DRAFT}

    # then "Save and submit": every figure of the period goes for validation
    page.click("#grid-submit")
    page.wait_for_selector("ul.messagelist li.success:has-text('6 submitted for validation')")
    assert {status for _, status in stored().values()} == {EntryStatus.SUBMITTED}
    assert page.locator("#results-grid input[data-grid-value]").first.is_visible()  # other counters stay open
    colombia.shot("grid-submitted")

    # the action page sums the figures and links back to the grid
    page.click(f".breadcrumbs a:has-text('{ACTION}')")
    page.wait_for_selector("#results-summary")
    assert page.locator("#record-results").count() == 1
    assert "2027" in page.inner_text("#results-summary")
    colombia.shot("action-page")


#: a list's rows drawn past its own box (columns cut off in a sideways scroll)
CLIPPED = """() => Array.from(document.querySelectorAll("#changelist .results"))
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => `${box.scrollWidth} > ${box.clientWidth}`)"""
ROLES = ("admin", "europol.analyst", "es.coordinator", "de.coordinator", "co.partner", "rs.partner")
WIDTHS = ((1440, 900), (390, 844))
#: lists outside this work whose columns still scroll sideways at 1440 px (they fit the viewport)
SCROLLING = ("/admin/reporting/factsheet/", "/admin/axes/")


def test_every_list_and_dashboard_fits_1440_and_390_px(visit):
    """Every changelist a demo role reaches: the superuser opens each one; the roles whose lists
    differ (actions and results: columns, links, action bars) open those too."""
    visitors = {username: visit(username) for username in ROLES}
    admin = visitors["admin"].page
    lists = sorted(
        {
            href
            for href in admin.eval_on_selector_all("#nav-sidebar a", "links => links.map(a => a.pathname)")
            if re.fullmatch(r"/admin/\w+/\w+/", href)
        }
    )
    assert "/admin/oap/operationalaction/" in lists and len(lists) > 12
    visited = 0
    for username, visitor in visitors.items():
        page = visitor.page
        paths = lists if username == "admin" else ["/admin/oap/operationalaction/", "/admin/oap/resultentry/"]
        for width, height in WIDTHS:
            page.set_viewport_size({"width": width, "height": height})
            visitor.goto("/admin/")
            check(page, f"{username}: the dashboard at {width} px")
            visitor.shot(f"dashboard-{username}-{width}px")
            for path in paths:
                response = visitor.goto(path)
                assert response.status == 200, (username, path)
                check(page, f"{username}: {path} at {width} px", clipped=not path.startswith(SCROLLING))
                visited += 1
    assert visited > 2 * len(lists)

    # a dashboard link's filter is named above the list it opens
    spain = visitors["es.coordinator"].page
    spain.set_viewport_size({"width": 390, "height": 844})
    visitors["es.coordinator"].goto("/admin/")
    spain.click("#panel-my-actions a.dashboard-all")
    spain.wait_for_selector("#active-filters")
    assert Organisation.objects.get(code="ES").name in spain.inner_text("#active-filters")
    visitors["es.coordinator"].shot("actions-filtered-390px")
    # the titles are cut short in the list, whole on hover
    long_title = OperationalAction.objects.filter(title__regex=r"^.{61,}$").order_by("code").first()
    if long_title is not None:
        visitors["europol.analyst"].goto(f"/admin/oap/operationalaction/?q={long_title.code}")
        cell = visitors["europol.analyst"].page.locator(f"#result_list span[title='{long_title.title}']")
        assert cell.count() == 1 and cell.inner_text().endswith("…")


def check(page, what: str, clipped: bool = True) -> None:
    found = page.evaluate(WIDE_ELEMENTS)
    assert found["scrollWidth"] <= found["width"] and not found["wide"], f"{what}: {found}"
    if clipped:
        assert not page.evaluate(CLIPPED), f"{what}: columns cut off: {page.evaluate(CLIPPED)}"
