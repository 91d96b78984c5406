"""Conditional GET: an ETag made from the body the caller receives, so it reveals only what it sees."""

import pytest
from rest_framework.test import APIClient

from oap.choices import HandlingLevel, OrganisationKind, ParticipationRole
from oap.models import OperationalAction
from tests import factories as f

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def partner_world(db):
    co = f.OrganisationFactory(code="CO", name="Colombia", kind=OrganisationKind.THIRD_COUNTRY)
    es = f.OrganisationFactory(code="ES", name="Spain")
    plan = f.PlanFactory(code="DRUGS-CCH", driver=es)
    shared = f.ActionFactory(code="DRUGS-CCH 1.1", plan=plan, handling=HandlingLevel.PARTNERS)
    hidden = f.ActionFactory(code="DRUGS-CCH 9.9", plan=plan, handling=HandlingLevel.PARTICIPANTS)
    for action in (shared, hidden):
        f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    client = APIClient()
    client.force_authenticate(f.UserFactory(username="co.partner", organisation=co))
    return client, shared, hidden


def test_a_list_answers_304_to_its_own_etag(partner_world):
    client, _, _ = partner_world
    first = client.get(f"{API}/actions/")
    assert first.status_code == 200 and first["ETag"]
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]
    again = client.get(f"{API}/actions/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content


def test_a_hidden_row_changing_does_not_change_the_partners_etag(partner_world):
    client, shared, hidden = partner_world
    before = client.get(f"{API}/actions/")["ETag"]
    OperationalAction.objects.filter(pk=hidden.pk).update(title="Renamed where CO cannot see")
    assert client.get(f"{API}/actions/")["ETag"] == before
    OperationalAction.objects.filter(pk=shared.pk).update(title="Renamed where CO can see")
    assert client.get(f"{API}/actions/")["ETag"] != before


def test_a_detail_has_an_etag_too(partner_world):
    client, shared, _ = partner_world
    response = client.get(f"{API}/actions/{shared.pk}/")
    assert response.status_code == 200
    assert client.get(f"{API}/actions/{shared.pk}/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
