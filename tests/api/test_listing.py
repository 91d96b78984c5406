"""List pages are built from flat rows (oap/api/listing.py): they must equal the serializers' output.

Every list item of /actions/ and /results/, for every demo role, is compared with what
`ActionSerializer` / `ResultSerializer` give for the same row read through the ORM: same keys,
same order of keys, same values (dates, decimals, totals, participants, CHSGs, leader).
"""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum
from knox.models import AuthToken
from rest_framework.test import APIClient

from oap import access
from oap.api import serializers as s
from oap.api.listing import validated_totals
from oap.api.views import ActionViewSet, ResultViewSet
from oap.choices import EntryStatus
from oap.models import OperationalAction, ResultEntry, User

pytestmark = pytest.mark.django_db

USERS = ["admin", "europol.analyst", "es.coordinator", "de.coordinator", "co.partner", "rs.partner"]


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def every_item(client, url):
    items, page = [], 1
    while True:
        response = client.get(url, {"page_size": 500, "page": page})
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        items += body["results"]
        if not body["next"]:
            return items
        page += 1


def reference_totals(user, action_ids):
    """The totals the old way: the access rule over all entries, then Python nesting."""
    totals = defaultdict(lambda: defaultdict(dict))
    rows = (
        access.restrict(ResultEntry.objects.all(), user, "view")
        .filter(action_id__in=action_ids, status=EntryStatus.VALIDATED)
        .values_list("action_id", "year", "result_type__code")
        .annotate(total=Sum("value"))
        .order_by()
    )
    for action_id, year, code, total in rows:
        totals[action_id][str(year)][code] = f"{total.normalize():f}"
    return totals


def expected_actions(user):
    view = ActionViewSet()
    actions = list(
        view.optimise(access.restrict(OperationalAction.objects.all(), user, "view")).order_by("code", "pk")
    )
    totals = reference_totals(user, [a.pk for a in actions])
    return [dict(item) for item in s.ActionSerializer(actions, many=True, context={"totals": totals}).data]


def expected_results(user):
    view = ResultViewSet()
    entries = view.optimise(access.restrict(ResultEntry.objects.all(), user, "view")).order_by(
        *ResultViewSet.ordering, "pk"
    )
    return [dict(item) for item in s.ResultSerializer(entries, many=True).data]


@pytest.fixture
def odd_values(demo_data):
    """Values whose text form is easy to get wrong, and a comment with tabs, quotes and accents."""
    entries = list(ResultEntry.objects.filter(status=EntryStatus.VALIDATED).order_by("pk")[:4])
    for entry, value in zip(entries, ["1.500", "1200.000", "0", "0.001"], strict=True):
        entry.value = Decimal(value)
        entry.comment = 'tab\there "quoted" — Ñandú\nnext line'
    ResultEntry.objects.bulk_update(entries, ["value", "comment"])
    return entries


@pytest.mark.parametrize("username", USERS)
def test_action_items_equal_the_serializer(demo_data, odd_values, username):
    user = User.objects.get(username=username)
    got = every_item(client_for(user), "/api/v1/actions/")
    want = expected_actions(user)
    assert [item["code"] for item in got] == [item["code"] for item in want]
    assert got == want
    assert [list(item) for item in got] == [list(item) for item in want]  # the same key order
    assert any(item["totals"] for item in got) or not got


@pytest.mark.parametrize("username", USERS)
def test_result_items_equal_the_serializer(demo_data, odd_values, username):
    user = User.objects.get(username=username)
    got = every_item(client_for(user), "/api/v1/results/")
    want = expected_results(user)
    assert len(got) == len(want)
    assert got == want
    assert [list(item) for item in got[:5]] == [list(item) for item in want[:5]]


def test_totals_are_written_without_trailing_zeros(demo_data, odd_values):
    admin = User.objects.get(username="admin")
    entry = odd_values[0]
    totals = validated_totals(admin, [entry.action_id])
    expected = sum(
        ResultEntry.objects.filter(
            action_id=entry.action_id,
            year=entry.year,
            result_type_id=entry.result_type_id,
            status=EntryStatus.VALIDATED,
        ).values_list("value", flat=True),
        Decimal(0),
    )
    assert totals[entry.action_id][str(entry.year)][entry.result_type.code] == f"{expected.normalize():f}"


def test_totals_of_hidden_actions_are_not_given(demo_data):
    """The totals helper applies the access rule itself: ids of hidden actions give nothing."""
    partner = User.objects.get(username="co.partner")
    hidden = OperationalAction.objects.exclude(
        pk__in=access.restrict(OperationalAction.objects.all(), partner)
    )
    hidden_with_results = hidden.filter(results__status=EntryStatus.VALIDATED).distinct()
    assert hidden_with_results.exists()
    assert validated_totals(partner, list(hidden_with_results.values_list("pk", flat=True))) == {}
    admin = User.objects.get(username="admin")
    assert validated_totals(admin, list(hidden_with_results.values_list("pk", flat=True)))
