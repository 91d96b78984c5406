"""The demo data set and its loader: reference data, demo users, actions and result entries.

`load_demo()` (run by `manage.py load_demo`, with reporting publishing the factsheets after it)
is idempotent and deterministic:

- reference data comes from `fixtures/reference.yaml` (natural keys, loaded with loaddata);
- the actions of 2022–2023 from `fixtures/demo_actions.yaml`, with validated figures generated
  from a fixed seed so that they add up *exactly* to the headline figures Europol published for
  2022 and 2023 (`published`);
- the actions of 2024–2025 and 2026–2027 from `fixtures/demo_present.yaml`, with draft,
  submitted, returned and validated figures in the open years 2024–2026 (`present`);
- the demo logins (`users`).

Modules: `base` (files, seed, years, moments), `files` (reading and checking the data files),
`published`, `present` (the figures), `users`, `actions`, `entries` (the database writes), `loader`.
"""

from .base import (
    ANALYST_USERNAME,
    CHANGE_REASON,
    CURRENT_YEAR,
    PRESENT_YEARS,
    PUBLISHED_YEARS,
    DemoEntry,
)
from .files import DemoAction, StatusOverride, read_demo_actions, read_present
from .loader import headline_totals, load_demo
from .present import COURSE, periods, present_entries
from .published import HEADLINE_TOTALS, apportion, compute_results, published_entries
from .users import DEMO_USERS

__all__ = [
    "ANALYST_USERNAME",
    "CHANGE_REASON",
    "COURSE",
    "CURRENT_YEAR",
    "DEMO_USERS",
    "HEADLINE_TOTALS",
    "PRESENT_YEARS",
    "PUBLISHED_YEARS",
    "DemoAction",
    "DemoEntry",
    "StatusOverride",
    "apportion",
    "compute_results",
    "headline_totals",
    "load_demo",
    "periods",
    "present_entries",
    "published_entries",
    "read_demo_actions",
    "read_present",
]
