"""The demo logins: one per role and kind of organisation, every one with settings.DEMO_PASSWORD."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password

from ..choices import UserRole
from ..models import Organisation, User
from .base import ANALYST_USERNAME, Changes

#: Demo logins; every one uses settings.DEMO_PASSWORD.
DEMO_USERS: tuple[dict, ...] = (
    {
        "username": "admin",
        "first_name": "Ada",
        "last_name": "Admin",
        "organisation": None,
        "role": UserRole.ANALYST,
        "is_staff": True,
        "is_superuser": True,
    },
    {
        "username": ANALYST_USERNAME,
        "first_name": "Elena",
        "last_name": "Marchetti",
        "organisation": "EUROPOL",
        "role": UserRole.ANALYST,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "es.coordinator",
        "first_name": "Lucía",
        "last_name": "García Romero",
        "organisation": "ES",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "de.coordinator",
        "first_name": "Jonas",
        "last_name": "Becker",
        "organisation": "DE",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "co.partner",
        "first_name": "Camilo",
        "last_name": "Restrepo",
        "organisation": "CO",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
    {
        "username": "rs.partner",
        "first_name": "Milica",
        "last_name": "Jovanović",
        "organisation": "RS",
        "role": UserRole.COORDINATOR,
        "is_staff": True,
        "is_superuser": False,
    },
)


def _password_work(password: str, encoded: list[str | None]) -> list[str | None]:
    """For each stored hash (None: a new user), the new hash to store, or None if it still matches.

    PBKDF2 releases the GIL, so the hashing runs in threads; nothing here touches the database.
    """

    def one(stored: str | None) -> str | None:
        if stored is not None and check_password(password, stored):
            return None
        return make_password(password)

    with ThreadPoolExecutor(max_workers=len(encoded) or 1) as pool:
        return list(pool.map(one, encoded))


def sync_users(orgs: dict[str, Organisation]) -> tuple[dict[str, User], Changes]:
    """The demo logins; a password is set only for a new user or when it no longer matches."""
    existing = {u.username: u for u in User.objects.filter(username__in=[s["username"] for s in DEMO_USERS])}
    new_hashes = _password_work(
        settings.DEMO_PASSWORD,
        [existing[s["username"]].password if s["username"] in existing else None for s in DEMO_USERS],
    )
    changes = Changes()
    users = {}
    for spec, new_hash in zip(DEMO_USERS, new_hashes, strict=True):
        wanted = {
            **spec,
            "organisation": orgs[spec["organisation"]] if spec["organisation"] else None,
            "email": f"{spec['username']}@example.org",
            "is_active": True,
        }
        user = existing.get(spec["username"])
        if user is None:
            user = User(**wanted, password=new_hash)
            user.save()
            changes.created += 1
        else:
            dirty = [name for name, value in wanted.items() if getattr(user, name) != value]
            for name in dirty:
                setattr(user, name, wanted[name])
            if new_hash is not None:
                user.password = new_hash
                dirty.append("password")
            if dirty:
                user.save()
                changes.updated += 1
        users[spec["username"]] = user
    return users, changes
