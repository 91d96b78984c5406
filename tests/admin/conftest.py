"""The crawler's world: the demo data set plus a row of every kind for every demo role.

`load_demo` holds validated entries only; the crawl also needs each coordinator's own draft and
submitted entry (rows they may change or others may review), a draft and a published factsheet,
an import per coordinator, a locked year, and an audit record for every reference row (so each
history-entry page has a version to show). All of it is rolled back with the demo data.
"""

from decimal import Decimal

import pytest
from django.test import override_settings

from oap import imports, services
from oap.models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ResultType,
    User,
)
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet

COORDINATORS = ("es.coordinator", "de.coordinator", "co.partner", "rs.partner")
ROLES = ("admin", "europol.analyst", *COORDINATORS)


def _entries_of(user: User, counters: list[ResultType]) -> None:
    organisation = user.organisation
    action = Participation.objects.filter(organisation=organisation).order_by("action__code").first().action
    _draft, submitted = (
        services.result_record(
            by=user,
            action=action,
            organisation=organisation,
            result_type=counter,
            year=2024,
            value=Decimal("424242.125"),
            comment=f"crawler secret {kind} {organisation.code}",
        )
        for kind, counter in zip(("draft", "submitted"), counters, strict=True)
    )
    services.result_submit(entry=submitted, by=user)
    csv = f"action,organisation,result_type,year,value\n{action.code},{organisation.code},{counters[0].code},2025,3\n"
    imports.import_job_create(by=user, data=csv.encode(), filename=f"crawler-{user.username}.csv")


@pytest.fixture(scope="module")
def crawl_world(demo_data, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("crawl-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        users = {user.username: user for user in User.objects.filter(username__in=ROLES)}
        counters = list(ResultType.objects.order_by("order", "code")[:2])
        for name in COORDINATORS:
            _entries_of(users[name], counters)
        Factsheet.objects.create(year=2024, status=FactsheetStatus.COMPILED, checksum="c0ffee" + "0" * 58)
        Factsheet.objects.create(year=2022, status=FactsheetStatus.PUBLISHED, checksum="feed00" + "1" * 58)
        services.year_lock(year=2021, by=None, reason="crawler")
        for model in (Organisation, Cycle, PriorityCrimeArea, CommonHorizontalStrategicGoal, ResultType):
            for row in model.objects.all():
                if not row.history.exists():
                    row.save()
        yield users
