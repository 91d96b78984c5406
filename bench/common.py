"""Shared set-up of the benchmark scripts: the dedicated database and Django on it.

The benchmarks never touch the development database: everything runs on BENCH_DATABASE_URL
(default ``postgres://postgres@127.0.0.1:5432/empact_bench``), created when missing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/empact_bench"

#: the users the benchmark acts as (created by generate.py, tokens by run.py)
HUB_ANALYST = "bench.hub.analyst"  # Europol (the hub), analyst
PARTNER = "bench.co.coordinator"  # Colombia (third country), coordinator
IMPORTER = "bench.de.coordinator"  # Germany, coordinator: the bulk import
ADMIN = "bench.admin"  # superuser


def bench_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def scale() -> float:
    value = float(os.environ.get("BENCH_SCALE", "1.0"))
    if not 0 < value <= 10:
        raise SystemExit("BENCH_SCALE must be a number above 0 (1.0 = 20 000 actions, 1 000 000 entries)")
    return value


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist (through the server's `postgres` database)."""
    import psycopg

    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {url!r}")
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def setup_django(**extra_env: str) -> None:
    """Point Django at the bench database (settings come from the environment) and set it up."""
    url = bench_url()
    ensure_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empact_tracker.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name, value in extra_env.items():
        os.environ.setdefault(name, value)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
