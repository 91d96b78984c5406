"""The completeness filters (plan, priority, kind, organisation) take several values like every list
filter — the key repeated or comma-separated — in the API, its schema, and the HTML page and
downloads that share its one parser (`oap.completeness.CompletenessQuery`)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from oap.models import OperationalActionPlan, User

pytestmark = pytest.mark.django_db

PERIOD = "year=2026&half_year=1"


@pytest.fixture
def analyst(demo_data):
    client = APIClient()
    client.force_authenticate(User.objects.get(username="europol.analyst"))
    return client


def cells(client, query: str) -> set[tuple[str, str]]:
    response = client.get(f"/api/v1/completeness/?{PERIOD}&{query}")
    assert response.status_code == 200, response.content
    return {(cell["action"], cell["organisation"]) for cell in response.json()["cells"]}


def two_of(analyst, field: str) -> tuple[str, str]:
    """Two values of `field` (a cell's plan or organisation) that the period's matrix holds."""
    body = analyst.get(f"/api/v1/completeness/?{PERIOD}").json()
    values = sorted({cell[field] for cell in body["cells"]})
    assert len(values) >= 2, values
    return values[0], values[-1]


@pytest.mark.parametrize("name, field", [("plan", "plan"), ("organisation", "organisation")])
def test_codes_are_taken_repeated_and_comma_separated(analyst, name, field):
    first, second = two_of(analyst, field)
    one, other = cells(analyst, f"{name}={first}"), cells(analyst, f"{name}={second}")
    assert one and other and not one & other
    assert cells(analyst, f"{name}={first}&{name}={second}") == one | other  # was the second only
    assert cells(analyst, f"{name}={first},{second}") == one | other  # was a 400
    assert cells(analyst, f"{name}={first},{second}&{name}={first}") == one | other


def test_priorities_and_kinds_are_taken_several_at_once(analyst):
    plans = {cell["plan"] for cell in analyst.get(f"/api/v1/completeness/?{PERIOD}").json()["cells"]}
    first, *_, last = sorted(
        set(OperationalActionPlan.objects.filter(code__in=plans).values_list("priority__code", flat=True))
    )
    one, other = cells(analyst, f"priority={first}"), cells(analyst, f"priority={last}")
    assert one and other and not one & other
    both = cells(analyst, f"priority={first}&priority={last}")
    assert both == cells(analyst, f"priority={first},{last}") == one | other
    third = cells(analyst, "kind=third_country")
    members = cells(analyst, "kind=member_state")
    assert third and members
    assert cells(analyst, "kind=third_country,member_state") == third | members


def test_a_bad_value_among_several_is_named(analyst):
    first, _ = two_of(analyst, "plan")
    body = analyst.get(f"/api/v1/completeness/?{PERIOD}&plan={first},NOPE").json()
    assert body["status"] == 400 and "NOPE" in body["errors"]["plan"][0], body
    body = analyst.get(f"/api/v1/completeness/?{PERIOD}&kind=member_state&kind=planet").json()
    assert body["status"] == 400 and "planet" in body["errors"]["kind"][0], body
    body = analyst.get(f"/api/v1/completeness/?{PERIOD}&organisation=es,XX").json()
    assert body["status"] == 400 and "XX" in body["errors"]["organisation"][0], body


def test_the_schema_says_they_take_several(demo_data):
    client = Client()
    client.force_login(User.objects.get(username="europol.analyst"))
    schema = json.loads(client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content)
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/completeness/"]["get"]["parameters"]}
    for name in ("plan", "priority", "kind", "organisation"):
        assert parameters[name]["schema"]["type"] == "array", parameters[name]
        assert parameters[name]["style"] == "form" and parameters[name]["explode"] is True
    assert "third_country" in parameters["kind"]["schema"]["items"]["enum"]


def test_the_page_and_its_downloads_take_several_too(analyst):
    first, second = two_of(analyst, "plan")
    expected = cells(analyst, f"plan={first},{second}")
    page = Client()
    page.force_login(User.objects.get(username="europol.analyst"))
    response = page.get(f"/reports/completeness/?{PERIOD}&plan={first}&plan={second}")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{first}" selected' in html and f'value="{second}" selected' in html
    assert f"plan={first}&amp;plan={second}" in html  # the download links keep both
    download = page.get(f"/reports/completeness/completeness.csv?{PERIOD}&plan={first}&plan={second}")
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert {(row["action"], row["organisation"]) for row in rows} == expected
    assert page.get(f"/reports/completeness/?{PERIOD}&plan=NOPE").status_code == 400
