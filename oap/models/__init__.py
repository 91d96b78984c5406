"""The EMPACT domain: what is planned, who takes part, what it achieved.

One module per room (reference data, actions, results, imports, users); every model is
importable from `oap.models` as before.
"""

from .actions import OperationalAction, Participation
from .api import IdempotencyKey
from .imports import ImportJob
from .reference import (
    MAX_YEAR,
    MIN_YEAR,
    CodedModel,
    CommonHorizontalStrategicGoal,
    Cycle,
    OperationalActionPlan,
    Organisation,
    PriorityCrimeArea,
    ResultType,
)
from .results import DUPLICATE_ENTRY, ReportingPeriod, ResultEntry, YearLock, period_bounds, period_name
from .users import User

__all__ = [
    "DUPLICATE_ENTRY",
    "MAX_YEAR",
    "MIN_YEAR",
    "CodedModel",
    "CommonHorizontalStrategicGoal",
    "Cycle",
    "IdempotencyKey",
    "ImportJob",
    "OperationalAction",
    "OperationalActionPlan",
    "Organisation",
    "Participation",
    "PriorityCrimeArea",
    "ReportingPeriod",
    "ResultEntry",
    "ResultType",
    "User",
    "YearLock",
    "period_bounds",
    "period_name",
]
