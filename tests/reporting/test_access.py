"""The factsheet rule (reporting/access.py) gives one answer to the querysets, `access.can` and
`user.has_perm(perm, factsheet)` — the object check treated factsheets as reference data before."""

import pytest

from oap import access
from oap.choices import OrganisationKind, UserRole
from reporting.choices import FactsheetStatus
from reporting.models import Factsheet
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "hub", "reads_draft"),
    [(UserRole.COORDINATOR, False, False), (UserRole.VIEWER, False, False), (UserRole.ANALYST, True, True)],
)
def test_a_draft_factsheet_is_read_by_those_who_compile_only(role, hub, reads_draft):
    org = f.OrganisationFactory(code="EUROPOL" if hub else "ES", kind=OrganisationKind.EU_AGENCY, is_hub=hub)
    user = f.UserFactory(username=f"u-{role}", organisation=org, role=role)
    draft = Factsheet.objects.create(year=2031, status=FactsheetStatus.COMPILED, checksum="x" * 64)
    published = Factsheet.objects.create(year=2030, status=FactsheetStatus.PUBLISHED, checksum="y" * 64)
    for obj, expected in ((draft, reads_draft), (published, True)):
        assert user.has_perm("reporting.view_factsheet", obj) is expected
        assert access.can(user, "view", obj) is expected
        assert Factsheet.objects.visible_to(user).filter(pk=obj.pk).exists() is expected
    assert not user.has_perm("reporting.change_factsheet", draft)
