"""Webhooks: the events an organisation may see, POSTed as signed JSON to its system.

**The request.** `POST <endpoint>` with `Content-Type: application/json` and

- `X-Empact-Event`: the event (`entry.validated`, `entry.returned`, `action.changed`,
  `factsheet.published`, or `ping` for a test);
- `X-Empact-Delivery`: the delivery's id, the same on every attempt — keep the ids you have
  processed and ignore a repeat (a retry after a lost response);
- `X-Empact-Signature: t=<unix time>,v1=<hex>`, where `<hex>` is HMAC-SHA256 with the webhook's
  secret over the bytes `<unix time>.<body>` (the time as sent, a dot, the raw body).

**Checking it.** Recompute the HMAC over `t + "." + body` with the secret, compare it with `v1`
in constant time, and refuse a request whose `t` is more than 5 minutes from your clock (a
replay). Answer 2xx once the event is stored; anything else (or no answer within
WEBHOOK_TIMEOUT seconds) is retried with a back-off, up to NOTIFICATIONS_MAX_ATTEMPTS times.

**Where.** `https://` to a public address only: the host is resolved at each attempt and every
address must be public (no loopback, private, link-local or reserved one: no requests into the
service's own network), and the connection goes to the address that was checked. Networks in
WEBHOOK_ALLOWED_NETWORKS (loopback while DEBUG is on, nothing by default in production) are let
through, over http:// too. Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import ssl
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from oap import events
from oap.backends import OrganisationReader
from oap.formats import plain

from .choices import DeliveryStatus, EventKind
from .delivery import claim, record_failure
from .models import Event, Webhook, WebhookDelivery
from .rendering import absolute
from .visibility import event_visible

SIGNATURE_HEADER = "X-Empact-Signature"
USER_AGENT = "EMPACT-Tracker-Webhook/1"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# --- where a webhook may point --------------------------------------------------------------


def _allowed_networks():
    return [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]


def check_url(url: str) -> list[str]:
    """The addresses to connect to for `url`, or a ValidationError saying why it may not be used."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError(
            {"url": "Give an https:// address, such as https://partner.example.org/empact."}
        )
    if parts.username or parts.password:
        raise ValidationError(
            {"url": "Leave credentials out of the address; the signature authenticates us."}
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise ValidationError({"url": f"{parts.hostname} cannot be resolved ({error})."}) from error
    addresses = sorted({info[4][0] for info in found})
    allowed = _allowed_networks()
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:  # ::ffff:10.0.0.1 is 10.0.0.1
            ip = ip.ipv4_mapped
        if any(ip in network for network in allowed):
            continue
        if not ip.is_global or ip.is_multicast:
            raise ValidationError(
                {
                    "url": f"{parts.hostname} is {ip}: a loopback, private or reserved address. Webhooks go to public hosts only."
                }
            )
        if parts.scheme != "https":
            raise ValidationError({"url": "Use https://: events are sent encrypted."})
    return addresses


class _Pinned:
    """Connect to the checked address (not a second DNS answer), keep the host name for TLS and Host."""

    def __init__(self, address: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        if isinstance(self, http.client.HTTPSConnection):
            self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class PinnedHTTP(_Pinned, http.client.HTTPConnection):
    pass


class PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    pass


def post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    """POST `body` to `url` (checked again now); the response's status and its start."""
    address = check_url(url)[0]
    parts = urlsplit(url)
    timeout = settings.WEBHOOK_TIMEOUT
    if parts.scheme == "https":
        connection = PinnedHTTPS(
            address, parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = PinnedHTTP(address, parts.hostname, parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(2000).decode("utf-8", "replace")
    finally:
        connection.close()


# --- what is sent ---------------------------------------------------------------------------


def _entry_data(event: Event) -> dict:
    entry, data = event.entry, event.data
    found = {
        "id": entry.pk,
        "action": entry.action.code,
        "action_title": entry.action.title,
        "organisation": entry.organisation.code,
        "result_type": entry.result_type.code,
        "year": data["year"],
        "half_year": data.get("half_year"),
        "value": data["value"],
        "status": data["status"],
    }
    if event.kind == events.ENTRY_RETURNED:
        found["return_reason"] = data.get("reason", "")
    return {"entry": found}


def _action_data(event: Event) -> dict:
    action = event.action
    return {
        "change": event.data.get("change", "updated"),
        "action": {
            "code": action.code,
            "title": action.title,
            "plan": action.plan.code,
            "status": action.status,
            "handling": action.handling,
            "start": action.start.isoformat() if action.start else None,
            "end": action.end.isoformat() if action.end else None,
        },
    }


def _factsheet_data(event: Event) -> dict:
    factsheet = event.factsheet
    url = reverse("reporting:factsheet", args=[factsheet.year]) + f"?version={factsheet.version}"
    if factsheet.priority_id:
        url += f"&priority={factsheet.priority.code}"
    return {
        "factsheet": {
            "id": factsheet.pk,
            "year": factsheet.year,
            "scope": factsheet.priority.code if factsheet.priority_id else "EU",
            "version": factsheet.version,
            "published_at": factsheet.published_at.isoformat() if factsheet.published_at else None,
            "headline": {key: plain(value) for key, value in factsheet.figures.get("headline", {}).items()},
            "url": absolute(url),
        }
    }


def payload(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    if event.kind.startswith("entry."):
        data = _entry_data(event)
    elif event.kind == events.ACTION_CHANGED:
        data = _action_data(event)
    elif event.kind == events.FACTSHEET_PUBLISHED:
        data = _factsheet_data(event)
    else:
        data = {"message": "A test event from EMPACT Tracker: your endpoint and its signature check work."}
    body = {
        "id": str(delivery.uuid),
        "event": event.kind,
        "occurred_at": event.occurred_at.isoformat(),
        "organisation": delivery.webhook.organisation.code,
        "data": data,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def deliver(delivery_id: int, *, now=None) -> str | None:
    """One attempt at one webhook delivery (see `notifications.delivery` for the steps)."""
    now = now or timezone.now()
    if not claim(WebhookDelivery, delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related(
        "webhook__organisation",
        "event__entry__action",
        "event__entry__organisation",
        "event__entry__result_type",
        "event__action__plan",
        "event__factsheet__priority",
    ).get(pk=delivery_id)
    webhook, event = delivery.webhook, delivery.event
    if not webhook.active or not event_visible(OrganisationReader(webhook.organisation), event):
        WebhookDelivery.objects.filter(pk=delivery_id).update(status=DeliveryStatus.WITHHELD, claimed_at=None)
        return DeliveryStatus.WITHHELD
    body = payload(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Empact-Event": event.kind,
        "X-Empact-Delivery": str(delivery.uuid),
        SIGNATURE_HEADER: sign(webhook.secret, body, timestamp),
    }
    try:
        status, text = post(webhook.url, body, headers)
    except ValidationError as error:
        return record_failure(
            WebhookDelivery, delivery_id, " ".join(error.messages), now=now, request_body=body.decode()
        )
    except (OSError, http.client.HTTPException) as error:
        return record_failure(
            WebhookDelivery,
            delivery_id,
            f"{type(error).__name__}: {error}",
            now=now,
            request_body=body.decode(),
        )
    fields = {"response_status": status, "response_body": text, "request_body": body.decode()}
    if not 200 <= status < 300:
        return record_failure(WebhookDelivery, delivery_id, f"HTTP {status}", now=now, **fields)
    WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="", claimed_at=None, **fields
    )
    return DeliveryStatus.SENT


def send_test_event(*, webhook: Webhook, by) -> WebhookDelivery:
    """A `ping` to one webhook (the admin's button), sent through the outbox like any delivery."""
    from django.db import transaction

    from .services import SEND_WEBHOOK_TASK, _enqueue

    with transaction.atomic():
        event = Event.objects.create(
            key=f"ping:{uuid.uuid4()}",
            kind=EventKind.PING,
            occurred_at=timezone.now(),
            actor=by if by is not None and by.is_authenticated else None,
            organisation=webhook.organisation,
        )
        delivery = WebhookDelivery.objects.create(webhook=webhook, event=event)
        _enqueue(SEND_WEBHOOK_TASK, delivery.pk, key=f"notifications.webhookdelivery:{delivery.pk}")
    return delivery
