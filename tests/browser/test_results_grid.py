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


def test_the_grid_in_a_spanish_browser_and_every_list_at_1440_and_390_px(visit):
    """One test, one demo load: the grid's flow, then every list and dashboard."""
    grid_by_keyboard_and_paste_then_submitted(visit)
    every_list_and_dashboard_fits(visit)


def grid_by_keyboard_and_paste_then_submitted(visit):
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

    # six figures: the first three typed (Enter moves to the next box), the next three pasted as a
    # column copied from a spreadsheet; amounts typed the Spanish way
    shown = page.evaluate(SHOWN_INPUTS)[:6]
    counts, amounts = iter(("12", "7", "3", "40", "5", "9")), iter(("1250,5", "2,75", "0,5", "80,25"))
    typed = {
        input_id.removeprefix("value-"): next(counts if unit == "count" else amounts)
        for input_id, unit in shown
    }
    assert "1250,5" in typed.values(), f"no amount among the first six counters: {shown}"
    page.focus(f"#{shown[0][0]}")
    for value in list(typed.values())[:3]:
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == shown[3][0]  # Enter moved on, saved nothing
    assert stored() == {}
    column = "\r\n".join(list(typed.values())[3:]) + "\r\n"
    page.locator(f"#{shown[3][0]}").evaluate(PASTE, column)
    assert [page.input_value(f"#{input_id}") for input_id, _ in shown] == list(typed.values())
    assert "3 values pasted" in page.inner_text("#grid-paste-note")
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
    page.fill(f"#value-{list(typed)[-1]}", list(typed.values())[-1])
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


#: the document's width against the viewport's, and the lists whose rows are drawn past their own
#: box (columns cut off in a sideways scroll); one cheap pass (WIDE_ELEMENTS names the culprits)
FITS = """() => ({
  width: document.documentElement.clientWidth,
  scrollWidth: document.documentElement.scrollWidth,
  clipped: Array.from(document.querySelectorAll("#changelist .results"))
    .filter((box) => box.scrollWidth > box.clientWidth + 1)
    .map((box) => `${box.scrollWidth} > ${box.clientWidth}`),
})"""
ROLES = ("admin", "europol.analyst", "es.coordinator", "de.coordinator", "co.partner", "rs.partner")
WIDTHS = ((1440, 900), (390, 844))
#: django-axes' own lists, whose columns scroll sideways inside the list at 1440 px (they fit the viewport)
SCROLLING = ("/admin/axes/",)


def every_list_and_dashboard_fits(visit):
    """Every changelist a demo role reaches: the superuser opens each one; the roles whose lists
    differ (actions and results: columns, links, action bars) open those too."""
    visitors = {username: visit(username) for username in ROLES}
    admin = visitors["admin"].page
    lists = sorted(
        {
            href
            for href in admin.eval_on_selector_all("#content-main a", "links => links.map(a => a.pathname)")
            if re.fullmatch(r"/admin/\w+/\w+/", href)
        }
    )
    assert "/admin/oap/operationalaction/" in lists and len(lists) > 12
    visited = 0
    for username, visitor in visitors.items():
        page = visitor.page
        paths = lists if username == "admin" else ["/admin/oap/operationalaction/", "/admin/oap/resultentry/"]
        for path in ["/admin/", *paths]:
            page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
            response = visitor.goto(path)  # once; each width is the same page reflowed
            assert response.status == 200, (username, path)
            for width, height in WIDTHS:
                page.set_viewport_size({"width": width, "height": height})
                check(page, f"{username}: {path} at {width} px", clipped=not path.startswith(SCROLLING))
                if path == "/admin/" and (width == 1440 or username == "co.partner"):
                    visitor.shot(f"dashboard-{username}-{width}px")
            visited += 1
    assert visited > len(lists)

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
    """No element past the viewport (the document does not scroll sideways) and, with `clipped`,
    no list whose columns are cut off in a sideways scroll of their own."""
    found = page.evaluate(FITS)
    if found["scrollWidth"] > found["width"]:
        raise AssertionError(f"{what}: wider than the viewport: {page.evaluate(WIDE_ELEMENTS)}")
    if clipped:
        assert not found["clipped"], f"{what}: columns cut off: {found['clipped']}"
