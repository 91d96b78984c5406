"""The changes feed follows an action's participants: a participation added or removed is an `updated`
of its action for those who see it, a `hidden` for the organisation it takes out of an action it
may no longer see, and nothing for those who never saw the action."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from oap.choices import HandlingLevel, OrganisationKind, ParticipationRole
from oap.models import Participation
from oap.services import actions as services
from tests.factories import OrganisationFactory, PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


class Reader:
    """One caller of the feed, who keeps its cursor."""

    def __init__(self, user):
        self.client = APIClient()
        self.client.force_authenticate(user)
        self.cursor = self.client.get("/api/v1/changes/?since=now").json()["cursor"]

    def news(self) -> list[tuple[str, int, str | None, str, bool]]:
        page = self.client.get(f"/api/v1/changes/?since={self.cursor}").json()
        assert not page["more"]
        self.cursor = page["cursor"]
        return [(i["type"], i["id"], i["code"], i["change"], i["url"] is not None) for i in page["results"]]


@pytest.fixture
def scene(settings):
    settings.API_CHANGES_SETTLE_SECONDS = 0
    leader = OrganisationFactory(code="LD")
    partner = OrganisationFactory(code="PX", kind=OrganisationKind.THIRD_COUNTRY)
    outsider = OrganisationFactory(code="OX", kind=OrganisationKind.THIRD_COUNTRY)
    plan = PlanFactory(driver=leader)
    shared, closed = (
        services.action_create(
            plan=plan,
            code=code,
            title=code,
            leader=leader,
            participants=participants,
            handling=HandlingLevel.PARTICIPANTS,  # seen by its participants, drivers and the hub only
        )
        for code, participants in (("OA 1.1", [partner]), ("OA 1.2", []))
    )
    hub = UserFactory(organisation=OrganisationFactory(code="HB", is_hub=True), is_superuser=True)
    return {
        "leader": leader,
        "partner": partner,
        "shared": shared,
        "closed": closed,
        "readers": {
            "partner": Reader(UserFactory(organisation=partner)),
            "outsider": Reader(UserFactory(organisation=outsider)),
            "hub": Reader(hub),
        },
    }


def test_participants_added_and_removed_are_changes_of_their_action(scene):
    readers, shared, closed = scene["readers"], scene["shared"], scene["closed"]
    newcomer = OrganisationFactory(code="NC")

    services.participation_save(
        action=shared, organisation=newcomer, role=ParticipationRole.PARTICIPANT, by=None
    )
    services.participation_save(
        action=closed, organisation=newcomer, role=ParticipationRole.PARTICIPANT, by=None
    )
    assert readers["partner"].news() == [("action", shared.pk, "OA 1.1", "updated", True)]  # was nothing
    assert readers["outsider"].news() == []
    assert readers["hub"].news() == [
        ("action", shared.pk, "OA 1.1", "updated", True),
        ("action", closed.pk, "OA 1.2", "updated", True),
    ]

    # the partner taken out of the action it could see only as a participant: it is hidden from it
    participation = Participation.objects.get(action=shared, organisation=scene["partner"])
    services.participation_remove(participation=participation, by=None)
    assert readers["partner"].news() == [("action", shared.pk, "OA 1.1", "hidden", False)]  # was nothing
    assert readers["outsider"].news() == []
    assert readers["hub"].news() == [("action", shared.pk, "OA 1.1", "updated", True)]
    assert readers["partner"].client.get(f"/api/v1/actions/{shared.code}/").status_code == 404

    # and added to an action it never saw: it appears, as an update to GET
    services.participation_save(
        action=closed, organisation=scene["partner"], role=ParticipationRole.PARTICIPANT, by=None
    )
    assert readers["partner"].news() == [("action", closed.pk, "OA 1.2", "updated", True)]
    assert readers["outsider"].news() == []
    assert readers["partner"].client.get(f"/api/v1/actions/{closed.code}/").status_code == 200


def test_an_action_never_seen_stays_out_of_the_feed(scene):
    """Changes of participants of an action the caller never saw say nothing, not even `hidden`."""
    readers, closed = scene["readers"], scene["closed"]
    extra = OrganisationFactory(code="EX")
    services.participation_save(
        action=closed, organisation=extra, role=ParticipationRole.PARTICIPANT, by=None
    )
    services.participation_remove(
        participation=Participation.objects.get(action=closed, organisation=extra), by=None
    )
    assert readers["partner"].news() == readers["outsider"].news() == []
    assert [change for *_, change, _ in readers["hub"].news()] == ["updated", "updated"]
