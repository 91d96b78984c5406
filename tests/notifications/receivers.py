"""Real receivers on loopback, started by the tests: an SMTP server (aiosmtpd) and an HTTP endpoint.

Both run in a thread of the test process on a free port and record what they accepted. The SMTP
server can stall its first conversation at RCPT TO (before any message is transferred) until the
test lets it go — a slow server, during which a test may kill the sending worker. The HTTP
receiver answers with the statuses it is given, one per request, then 200.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.servers import free_port

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line-by-line session log


@dataclass
class Received:
    """One accepted e-mail: its envelope recipients and the parsed message."""

    rcpt_tos: list[str]
    message: email.message.EmailMessage

    def __getitem__(self, header: str) -> str:
        return self.message[header]

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.server.stall_first and not self.server.stalled.is_set():
            self.server.stalled.set()  # the sender waits for our answer: the test may kill it now
            while not self.server.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"  # the conversation is dead anyway
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(Received(list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd on 127.0.0.1:<free port>; `messages` holds what it accepted."""

    def __init__(self, *, stall_first: bool = False):
        self.port = free_port()
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.stall_first = stall_first
        self.stalled, self.release = threading.Event(), threading.Event()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.controller.stop()

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def recipients(self) -> set[str]:
        return {address for m in self.messages for address in m.rcpt_tos}


@dataclass
class Request:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class HTTPReceiver:
    """An HTTP endpoint on 127.0.0.1:<free port>: answers `statuses` in turn, then 200."""

    statuses: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    def start(self) -> HTTPReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(Request({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try again")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/empact/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
