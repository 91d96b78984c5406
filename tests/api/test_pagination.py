"""Keyset pages: every row once, in order, forwards and backwards, whatever is written meanwhile."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from oap.choices import EntryStatus, HandlingLevel, OrganisationKind, ParticipationRole
from oap.models import OperationalAction, ResultEntry
from tests import factories as f

pytestmark = pytest.mark.django_db
API = "/api/v1"


@pytest.fixture
def rows(db):
    es = f.OrganisationFactory(code="ES")
    co = f.OrganisationFactory(code="CO", kind=OrganisationKind.THIRD_COUNTRY)
    counters = [f.ResultTypeFactory(code=f"counter_{n}") for n in range(3)]
    plan = f.PlanFactory(code="DRUGS-CCH", driver=es)
    stamp = timezone.now()
    for n in range(12):
        handling = HandlingLevel.PARTNERS if n % 3 else HandlingLevel.PARTICIPANTS
        action = f.ActionFactory(plan=plan, code=f"DRUGS-CCH {n:02d}.1", handling=handling)
        OperationalAction.objects.filter(pk=action.pk).update(
            updated_at=stamp - datetime.timedelta(hours=n % 4)
        )
        f.ParticipationFactory(action=action, organisation=es, role=ParticipationRole.LEADER)
        for year in (2022, 2023):
            for counter in counters:
                f.ResultEntryFactory(
                    action=action,
                    organisation=es,
                    result_type=counter,
                    year=year,
                    status=EntryStatus.VALIDATED,
                    value=Decimal(n),
                )
    users = {
        "hub": f.UserFactory(username="root", organisation=None, is_superuser=True),
        "partner": f.UserFactory(username="co", organisation=co),
    }
    return users


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def walk(client, url, params, link="next"):
    page = client.get(url, params).json()
    seen, pages = [], 0
    while True:
        seen += [item["id"] for item in page["results"]]
        pages += 1
        if not page[link]:
            return seen, pages, page
        page = client.get(page[link]).json()


@pytest.mark.parametrize("who", ["hub", "partner"])
@pytest.mark.parametrize(
    ("endpoint", "ordering", "model"),
    [
        ("results", None, ResultEntry),
        ("results", "-value", ResultEntry),
        ("results", "action__code", ResultEntry),
        ("actions", "-updated_at", OperationalAction),
        ("actions", "status", OperationalAction),
    ],
)
def test_every_row_once_in_order_forwards_and_backwards(rows, who, endpoint, ordering, model):
    client = client_for(rows[who])
    params = {"page_size": 5, "count": "true", **({"ordering": ordering} if ordering else {})}
    first = client.get(f"{API}/{endpoint}/", params).json()
    expected = [
        item["id"]
        for item in client.get(f"{API}/{endpoint}/", {**params, "page_size": 500}).json()["results"]
    ]
    assert first["count"] == len(expected) > 5 and first["previous"] is None
    seen, pages, last = walk(client, f"{API}/{endpoint}/", params)
    assert seen == expected and pages == -(-len(expected) // 5)
    # and back from the last page to the first, through `previous`: the same pages
    pages_back = [[item["id"] for item in last["results"]]]
    page = last
    while page["previous"]:
        page = client.get(page["previous"]).json()
        pages_back.append([item["id"] for item in page["results"]])
    assert [i for chunk in reversed(pages_back) for i in chunk] == expected
    assert page["previous"] is None and all(len(chunk) == 5 for chunk in pages_back[1:])


def test_a_row_written_between_pages_shifts_nothing(rows):
    client = client_for(rows["hub"])
    page = client.get(f"{API}/results/", {"page_size": 10, "ordering": "id"}).json()
    first_ids = [item["id"] for item in page["results"]]
    ResultEntry.objects.filter(pk__in=first_ids[:3]).delete()  # rows before the cursor go away
    second = client.get(page["next"]).json()
    assert second["results"][0]["id"] > first_ids[-1]  # nothing seen twice, nothing skipped


def test_a_cursor_for_another_ordering_or_a_broken_one_is_a_400_naming_it(rows):
    client = client_for(rows["hub"])
    page = client.get(f"{API}/results/", {"page_size": 2}).json()
    cursor = page["next"].split("cursor=")[1].split("&")[0]
    other = client.get(f"{API}/results/", {"page_size": 2, "ordering": "value", "cursor": cursor})
    assert other.status_code == 400 and "cursor" in other.json()["errors"]
    broken = client.get(f"{API}/results/", {"cursor": "not-a-cursor"})
    assert broken.status_code == 400 and "cursor" in broken.json()["errors"]


def test_the_count_is_given_only_when_asked(rows):
    client = client_for(rows["hub"])
    assert "count" not in client.get(f"{API}/results/").json()
    assert client.get(f"{API}/results/", {"count": "true"}).json()["count"] == ResultEntry.objects.count()
