"""In a real browser: Colombia submits its 2026 H2 drafts of DRUGS-CCH-26 1.1; Spain (the action's
leader) finds them counted on its dashboard, reads them and marks them read, at 1440 and 390 px."""

from __future__ import annotations

from empact_tracker.celery import app as celery_app
from oap import services
from oap.models import ResultEntry, User
from tests.notifications.conftest import drain

from .conftest import BROWSER_MARKS

pytestmark = BROWSER_MARKS


def test_a_validator_reads_its_notifications_and_marks_them_read(visit, settings):
    settings.NOTIFICATIONS_BATCH_SECONDS = 0
    saved, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
    try:
        colombia = User.objects.get(username="co.partner")
        drafts = ResultEntry.objects.filter(
            action__code="DRUGS-CCH-26 1.1", organisation__code="CO", year=2026, half_year=2, status="draft"
        )
        submitted = 0
        for entry in drafts:
            services.result_submit(entry=entry, by=colombia)
            submitted += 1
        drain()
    finally:
        celery_app.conf.task_always_eager = saved
    assert submitted > 1
    spain = visit("es.coordinator")
    page = spain.page
    panel = page.locator("#panel-notifications")
    assert panel.locator(".dashboard-count").inner_text() == str(submitted)
    assert "DRUGS-CCH-26 1.1" in panel.inner_text()
    spain.shot("dashboard")
    panel.locator("a.dashboard-all").click()
    page.wait_for_selector("#result_list")
    assert page.locator("#result_list tbody tr").count() == submitted
    assert "It waits for you to validate or return it." in page.inner_text("#result_list")
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        spain.shot(f"notifications-{width}")
    page.click("#mark-all-read")
    page.wait_for_selector("#unread-count [data-unread='0']")
    page.goto("/admin/")
    assert page.locator("#panel-notifications .dashboard-count").inner_text() == "0"
    page.goto("/admin/notifications/notification/settings/")
    page.check("input[name=submitted][value=daily]")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist")
    spain.shot("settings")
