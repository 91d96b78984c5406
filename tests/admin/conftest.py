"""The crawler's world: the demo data set plus a row of every kind for every demo role.

Whatever the demo holds, the crawl adds each coordinator's own draft and submitted entry (rows
they may change, others may review or must not see) in an open year of an action it takes part
in, an upload waiting for its confirmation, a draft and a published factsheet, a locked year, and
an audit record for every reference row (so each history-entry page has a version to show). All
of it is rolled back with the demo data.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from notifications import services as notifications
from notifications.choices import Kind
from notifications.models import Webhook
from notifications.webhooks import send_test_event
from oap import access, imports, services
from oap.models import (
    CommonHorizontalStrategicGoal,
    Cycle,
    OperationalAction,
    Organisation,
    Participation,
    PriorityCrimeArea,
    ReportingPeriod,
    ResultEntry,
    ResultType,
    User,
    YearLock,
)
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet

COORDINATORS = ("es.coordinator", "de.coordinator", "co.partner", "rs.partner")
ROLES = ("admin", "europol.analyst", *COORDINATORS)


def _places(organisation):
    """(action, year, counter) the organisation may report now: it takes part, the year is the
    action's and open, and it has reported nothing for that counter there yet."""
    locked = set(YearLock.objects.values_list("year", flat=True))
    counters = list(ResultType.objects.filter(parent__isnull=True).order_by("order", "code"))
    participations = Participation.objects.filter(organisation=organisation).select_related("action")
    for participation in participations.order_by("action__code"):
        action = participation.action
        if action.start is None or action.end is None:
            continue
        for year in range(action.start.year, action.end.year + 1):
            if year in locked:
                continue
            reported = ResultEntry.objects.filter(action=action, organisation=organisation, year=year)
            taken = set(reported.values_list("result_type_id", flat=True))
            for counter in counters:
                if counter.pk not in taken:
                    yield action, year, counter


def _entries_of(user: User) -> None:
    """A draft and a submitted entry of the user's organisation, and an upload waiting to be confirmed."""
    organisation, recorded = user.organisation, []
    for action, year, counter in _places(organisation):
        if len(recorded) == 3:
            break
        kind = ("draft", "submitted", "import")[len(recorded)]
        if kind == "import":
            csv = f"action,organisation,result_type,year,value\n{action.code},{organisation.code},{counter.code},{year},3\n"
            imports.import_job_create(by=user, data=csv.encode(), filename=f"crawler-{user.username}.csv")
            recorded.append(None)
            continue
        try:
            entry = services.result_record(
                by=user,
                action=action,
                organisation=organisation,
                result_type=counter,
                year=year,
                value=Decimal(424242),
                comment=f"crawler secret {kind} {organisation.code}",
            )
        except (ValidationError, PermissionDenied):  # a rule of the row checker: try another place
            continue
        if kind == "submitted":
            services.result_submit(entry=entry, by=user)
        recorded.append(entry)
    assert len(recorded) == 3, f"no open place for {organisation.code}'s crawler entries"


def _notifications_of(users: dict) -> None:
    """A reminder for every demo user (each one's own, hidden from all others), and a webhook of
    Spain's with one test delivery (the hub's to manage)."""
    period = ReportingPeriod.objects.order_by("pk").first()
    for user in users.values():
        owed = access.restrict(OperationalAction.objects.order_by("pk"), user, "view").first()
        organisation = user.organisation.code if user.organisation else ""
        notifications.notify(
            user=user,
            kind=Kind.DUE_SOON,
            key=f"period:{period.pk}",
            period=period,
            data={"actions": [owed.pk], "org": organisation},
        )
    webhook = Webhook.objects.create(
        organisation=Organisation.objects.get(code="ES"),
        url="https://receiver.example.org/empact",
        secret="crawler-secret-0123456789",
        description="crawler",
    )
    send_test_event(webhook=webhook, by=users["europol.analyst"])


@pytest.fixture(scope="module")
def crawl_world(demo_data, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("crawl-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)):
        users = {user.username: user for user in User.objects.filter(username__in=ROLES)}
        services.year_lock(year=2021, by=None, reason="crawler")
        for name in COORDINATORS:
            _entries_of(users[name])
        # years the demo does not compile: each is its year's first version
        Factsheet.objects.create(year=2091, status=FactsheetStatus.COMPILED, checksum="c0ffee" + "0" * 58)
        Factsheet.objects.create(year=2090, status=FactsheetStatus.PUBLISHED, checksum="feed00" + "1" * 58)
        _notifications_of(users)
        for model in (Organisation, Cycle, PriorityCrimeArea, CommonHorizontalStrategicGoal, ResultType):
            for row in model.objects.all():
                if not row.history.exists():
                    row.save()
        yield users
