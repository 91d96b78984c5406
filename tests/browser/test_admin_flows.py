"""In a real browser: coordinators, the action leader, an analyst and a partner on the demo data."""

from __future__ import annotations

import re

from oap.choices import EntryStatus, ParticipationRole
from oap.models import OperationalAction, ResultEntry, User

from .conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS

#: a new action in the running cycle's cocaine plan, which Spain drives (2026–2027: 2026 is open)
NEW_ACTION = "DRUGS-CCH-26 7.1"


def expect_message(page, text: str) -> None:
    page.wait_for_selector(f"ul.messagelist li:has-text({text!r})")


def test_coordinator_submits_a_result_and_the_leader_validates_it(visit):
    """(a) a coordinator creates an action, records and submits a result; (b) the leader validates it."""
    # (a) Spain's coordinator logs in through the form: the dashboard says what they may do
    spain = visit("es.coordinator")
    page = spain.page
    assert "coordinator of Spain" in page.inner_text("#dashboard")
    spain.shot("es-dashboard")

    # ... creates an operational action in the plan Spain drives: Germany leads it, Spain takes part
    spain.goto("/admin/oap/operationalaction/add/")
    spain.select2("id_plan", "DRUGS-CCH-26", "DRUGS-CCH-26 —")
    page.fill("#id_code", NEW_ACTION)
    page.fill("#id_title", "Joint action days on cocaine in container ports")
    page.fill("#id_description", "Created in the browser test.")
    spain.select2("id_participations-0-organisation", "Germany", "Germany (DE)")
    page.select_option("#id_participations-0-role", ParticipationRole.LEADER.value)
    page.click("#participations-group .add-row a")
    page.wait_for_selector("#id_participations-1-organisation", state="attached")
    spain.select2("id_participations-1-organisation", "Spain", "Spain (ES)")
    page.select_option("#id_participations-1-role", ParticipationRole.PARTICIPANT.value)
    spain.shot("es-action-form")
    page.click("input[name=_save]")
    expect_message(page, "was added successfully")
    spain.shot("es-action-added")
    action = OperationalAction.objects.get(code=NEW_ACTION)
    assert {(p.organisation.code, p.role) for p in action.participations.select_related("organisation")} == {
        ("DE", ParticipationRole.LEADER),
        ("ES", ParticipationRole.PARTICIPANT),
    }

    # ... records a result for Spain in that action, then submits it with the Submit button
    spain.goto("/admin/oap/resultentry/add/")
    spain.select2("id_action", NEW_ACTION, NEW_ACTION)
    spain.select2("id_organisation", "Spain", "Spain (ES)")
    spain.select2("id_result_type", "Investigations initiated", "Investigations initiated")
    page.fill("#id_year", "2026")
    page.fill("#id_value", "12")
    page.fill("#id_comment", "Recorded in the browser test.")
    spain.shot("es-result-form")
    page.click("input[name=_continue]")
    expect_message(page, "was added successfully")
    entry = ResultEntry.objects.get(action=action, organisation__code="ES")
    assert entry.status == EntryStatus.DRAFT
    assert page.inner_text("#result-status") == "Draft"
    spain.shot("es-result-draft")
    page.click("#workflow-submit")
    page.wait_for_selector("#workflow-confirm")
    assert "for validation" in page.inner_text("#workflow-what-happens")
    spain.shot("es-submit-confirmation")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.DRAFT  # nothing happens before the confirmation
    page.click("#workflow-confirm")
    expect_message(page, "Submitted for validation")
    assert page.inner_text("#result-status") == "Submitted"
    assert page.locator("#workflow-submit").count() == 0
    spain.shot("es-result-submitted")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.SUBMITTED

    # (b) Germany's coordinator, the action's leader, finds it from the dashboard (among the demo's
    # other figures waiting for Germany) and validates it
    germany = visit("de.coordinator")
    page = germany.page
    panel = page.locator("#panel-to-validate")
    waiting = int(panel.locator(".dashboard-count").get_attribute("data-count"))
    assert waiting > 1
    germany.shot("de-dashboard")
    panel.locator("a.dashboard-all").click()
    page.wait_for_selector("#changelist")
    page.fill("#searchbar", NEW_ACTION)
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#changelist-search")
    link = page.locator("#result_list a", has_text=NEW_ACTION)
    assert link.count() == 1
    germany.shot("de-waiting-for-validation")
    link.click()
    page.wait_for_selector("#workflow-validate")
    germany.shot("de-result-submitted")
    page.click("#workflow-validate")
    page.wait_for_selector("#workflow-confirm")
    germany.shot("de-validate-confirmation")
    page.click("#workflow-confirm")
    expect_message(page, "Validated")
    assert page.inner_text("#result-status") == "Validated"
    germany.shot("de-result-validated")
    entry.refresh_from_db()
    assert (entry.status, entry.validated_by.username) == (EntryStatus.VALIDATED, "de.coordinator")


def test_analyst_opens_the_factsheet_page_and_sees_its_chart(visit):
    from reporting.choices import FactsheetStatus
    from reporting.models import Factsheet

    # the 2023 factsheet, published by load_demo: there on first run
    factsheet = Factsheet.objects.get(year=2023, priority__isnull=True)
    assert factsheet.status == FactsheetStatus.PUBLISHED and factsheet.checksum

    analyst = visit("europol.analyst")
    page = analyst.page
    link = page.locator("#panel-factsheets a", has_text="2023 · EU-wide")  # the dashboard's panel
    analyst.shot("analyst-dashboard")
    link.first.click()
    page.wait_for_url(re.compile(r"/reports/factsheets/2023/"))
    chart = page.locator("figure.chart svg").first
    chart.wait_for(state="visible")
    box = chart.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    analyst.shot("analyst-factsheet-2023")


def test_partner_cannot_reach_a_hidden_action(visit):
    colombia_user = User.objects.get(username="co.partner")
    visible = OperationalAction.objects.visible_to(colombia_user)
    hidden = OperationalAction.objects.exclude(pk__in=visible.values("pk")).order_by("code").first()
    assert hidden is not None

    colombia = visit("co.partner")
    page = colombia.page
    assert hidden.code not in page.content()  # not on the dashboard
    colombia.shot("co-dashboard")

    response = colombia.goto(f"/admin/oap/operationalaction/{hidden.pk}/change/")
    assert response.status in (200, 404)
    assert not page.url.endswith(f"/{hidden.pk}/change/") or response.status == 404
    assert hidden.code not in page.content() and hidden.title not in page.content()
    colombia.shot("co-hidden-action-refused")

    for path in (
        "/admin/oap/operationalaction/?all=",
        f"/admin/oap/operationalaction/?q={hidden.code}",
        f"/admin/oap/resultentry/?q={hidden.code}",
        f"/admin/oap/participation/?q={hidden.code}",
    ):
        colombia.goto(path)
        page.wait_for_selector("#changelist")
        # the page's text (the search box's own value aside): no row, filter or count names it
        assert hidden.code not in page.inner_text("body"), path
        if "q=" in path:
            assert "0 results" in page.inner_text("#changelist-search"), path
    colombia.shot("co-search-finds-nothing")
    # and what Colombia may see is listed: the page is not simply empty
    colombia.goto("/admin/oap/operationalaction/?all=")
    first_visible = visible.order_by("code").first()
    assert page.locator("#result_list", has_text=first_visible.code).count() == 1
