"""`Idempotency-Key` on POST: a retry with the same key and body gets the first answer again, and
nothing is written twice.

The key is claimed (a row of `oap.models.IdempotencyKey`, unique per user and key) in the
same transaction as the write, and the answer stored with it: if the write fails, the claim goes
with it and the request may simply be sent again; if two requests with one key arrive at once,
the second waits for the first's commit and then gets its answer. The same key with another body
(or on another operation) is refused with 422 naming the header. Only successful answers (2xx)
are kept, for `API_IDEMPOTENCY_TTL` seconds (a day by default); a refused request wrote nothing.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.response import Response

from oap.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = 422
    default_detail = "This Idempotency-Key was used for another request."
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key(request) -> str:
    key = request.headers[HEADER].strip()
    if not 1 <= len(key) <= MAX_LENGTH or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [f"Give a key of 1 to {MAX_LENGTH} printable characters, e.g. a UUID."]}
        )
    return key


def _claim(request, key: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """(the key's row, whether it holds an earlier answer to replay); KeyReused for another request."""
    now = timezone.now()
    IdempotencyKey.objects.filter(user=request.user, key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path[:500],
                fingerprint=fingerprint,
                status_code=0,
                expires_at=now + datetime.timedelta(seconds=settings.API_IDEMPOTENCY_TTL),
            )
        return record, False
    except IntegrityError:  # the key is taken (an earlier request, committed meanwhile if it was racing)
        record = IdempotencyKey.objects.get(user=request.user, key=key)
    if record.fingerprint != fingerprint:
        error = KeyReused(
            f"This Idempotency-Key was first used for another request ({record.method} {record.path} "
            "with another body); use a new key for a new request."
        )
        error.errors = {HEADER: ["Already used with another request body or operation."]}
        raise error
    return record, True


def _replay(record: IdempotencyKey) -> Response:
    headers = {REPLAYED: "true"}
    if record.location:
        headers["Location"] = record.location
    return Response(record.body, status=record.status_code, headers=headers)


def idempotent(handler):
    """`handler` (a view's bound `post`) answering a retried request from the stored answer."""

    @functools.wraps(handler)
    def run(request, *args, **kwargs):
        key = _key(request)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            record, replay = _claim(request, key, fingerprint)
            if replay:
                return _replay(record)
            response = handler(request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.status_code = response.status_code
                record.body = response.data
                record.location = response.get("Location", "")[:500]
                record.save(update_fields=["status_code", "body", "location"])
            else:
                record.delete()
        return response

    return run
