"""docs/api.md's examples run: every ```python block, in order, against a live server with the demo data."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from knox.models import AuthToken

from oap.models import User

#: committed data for the live server; the migrations' rows (role groups) restored after the test
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_the_partner_guide_examples_run(live_server, transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.API_CHANGES_SETTLE_SECONDS = 0
    call_command("load_demo", stdout=StringIO())
    cache.clear()
    key = AuthToken.objects.create(user=User.objects.get(username="co.partner"))[1]
    namespace = {"BASE": live_server.url, "KEY": key}
    found = blocks()
    assert len(found) >= 6
    for index, code in enumerate(found):
        exec(compile(code, f"docs/api.md block {index + 1}", "exec"), namespace)
