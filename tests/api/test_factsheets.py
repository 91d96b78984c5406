"""`/api/v1/factsheets/`: who reads which versions, compile requests (202, pollable), publishing."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from empact_tracker.celery import app as celery_app
from oap.choices import EntryStatus, OrganisationKind, ParticipationRole, UserRole
from oap.models import YearLock
from reporting.models import Factsheet
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/factsheets/"


@pytest.fixture
def people(db):
    hub = f.OrganisationFactory(code="EUROPOL", kind=OrganisationKind.EU_AGENCY, is_hub=True)
    es = f.OrganisationFactory(code="ES")
    co = f.OrganisationFactory(code="CO", kind=OrganisationKind.THIRD_COUNTRY)
    action = f.ActionFactory(code="DRUGS-CCH 1.1")
    f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
    arrests = f.ResultTypeFactory(code="arrests")
    f.ResultEntryFactory(
        action=action,
        organisation=es,
        result_type=arrests,
        year=2023,
        value=Decimal(7),
        status=EntryStatus.VALIDATED,
    )
    return {
        "analyst": f.UserFactory(username="hub", organisation=hub, role=UserRole.ANALYST),
        "coordinator": f.UserFactory(username="es", organisation=es),
        "partner": f.UserFactory(username="co", organisation=co),
    }


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@contextmanager
def worker_in_process(django_capture_on_commit_callbacks):
    """Run the compile task in this process when the request commits (the real queue is tested elsewhere)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            yield
    finally:
        celery_app.conf.task_always_eager = eager


def test_compile_request_is_accepted_then_pollable_then_published(people, django_capture_on_commit_callbacks):
    analyst = api(people["analyst"])
    with worker_in_process(django_capture_on_commit_callbacks):
        response = analyst.post(URL, {"year": 2023}, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["task_id"] and body["status"] == "compiling" and response["Location"] == body["url"]
    polled = analyst.get(body["url"]).json()
    assert polled["status"] == "compiled" and polled["progress"] == 100
    assert polled["figures"]["headline"]["arrests"] in (7, "7", 7.0, "7.000")
    assert set(polled["files"]) == {"html", "pdf", "csv", "xlsx"}
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(user=people["analyst"])
    pdf = APIClient().get(
        polled["files"]["pdf"], HTTP_AUTHORIZATION=f"Token {key}"
    )  # a partner system's client
    assert (
        pdf.status_code == 200
        and b"".join(pdf.streaming_content if pdf.streaming else [pdf.content])[:4] == b"%PDF"
    )
    # drafts are for analysts and the hub
    assert api(people["partner"]).get(body["url"]).status_code == 404
    assert api(people["partner"]).get(URL).json()["results"] == []
    # the hub publishes: the year locks, and every signed-in user reads it
    assert (
        api(people["coordinator"]).post(f"{body['url']}publish/").status_code == 403
    )  # its role never publishes: 403 whatever the factsheet (issue 16)
    published = analyst.post(f"{body['url']}publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert YearLock.objects.filter(year=2023).exists()
    listed = api(people["partner"]).get(URL, {"year": 2023, "status": "published"}).json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]


def test_who_may_request_a_compile_and_bad_requests(people):
    assert api().post(URL, {"year": 2023}, format="json").status_code == 401
    refused = api(people["coordinator"]).post(URL, {"year": 2023}, format="json")
    assert refused.status_code == 403
    analyst = api(people["analyst"])
    for body, field in (
        ({"year": "soon"}, "year"),
        ({"year": 2023, "priority": "NOPE"}, "priority"),
        ({"year": 2023, "status": "published"}, "status"),
    ):
        response = analyst.post(URL, body, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (body, response.json())
    assert Factsheet.objects.count() == 0
