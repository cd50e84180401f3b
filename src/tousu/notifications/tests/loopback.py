"""Real servers on 127.0.0.1 for the delivery tests.

``MailServer`` is an SMTP server (aiosmtpd) that keeps what it accepts and can refuse;
``WebServer`` is one HTTP server that plays the DingTalk, WeCom and Feishu robots (checking
their signatures as those services do), an SMS gateway, and a few badly behaved hosts.
Both listen on a port the OS picks and never touch the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

_smtp_log = logging.getLogger("mail.log")
HANG_LIMIT = 30  # seconds a hanging handler waits at most, should teardown never come


class _AnyPortController(Controller):
    """Binds port 0 and learns the port the OS chose before the first connection."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailServer:
    """SMTP on loopback. ``tempfail_data`` / ``tempfail_rcpt``: answer 451 to the next N
    DATA / RCPT commands; ``unknown``: addresses refused with 550."""

    def __init__(self):
        self.delivered: list[EmailMessage] = []
        self.refused: list[EmailMessage] = []
        self.tempfail_data = 0
        self.tempfail_rcpt = 0
        self.unknown: set[str] = set()
        self._controller = _AnyPortController(self, hostname="127.0.0.1", port=0)

    @property
    def port(self) -> int:
        return self._controller.port

    def __enter__(self) -> MailServer:
        # aiosmtpd logs every SMTP command at INFO; the tests read what it received.
        self._log_level = _smtp_log.level
        _smtp_log.setLevel(logging.WARNING)
        self._controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._controller.stop()
        _smtp_log.setLevel(self._log_level)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 5.1.1 mailbox unavailable"
        if self.tempfail_rcpt > 0:
            self.tempfail_rcpt -= 1
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # As a mailbox stores it: with the line ends of this system, not the wire's CRLF.
        message = message_from_bytes(
            envelope.content.replace(b"\r\n", b"\n"), policy=policy.default
        )
        if self.tempfail_data > 0:
            self.tempfail_data -= 1
            self.refused.append(message)
            return "451 4.3.0 try again later"
        self.delivered.append(message)
        return "250 Message accepted for delivery"


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: object


def dingtalk_expected_sign(secret: str, timestamp: str) -> str:
    """As DingTalk computes it: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret"))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def feishu_expected_sign(secret: str, timestamp: str) -> str:
    """As Feishu computes it: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=""))."""
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def _fresh(timestamp: str, *, unit: int) -> bool:
    """Both services refuse a timestamp more than an hour away from their clock."""
    return timestamp.isdigit() and abs(time.time() * unit - int(timestamp)) < 3600 * unit


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def _answer(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        web = self.server.web
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        received = Received(
            path=url.path,
            query={name: values[0] for name, values in parse_qs(url.query).items()},
            headers=dict(self.headers),
            body=json.loads(raw or b"null"),
        )
        with web.lock:
            web.received.append(received)
        if url.path == "/dingtalk":
            self._answer(200, web.dingtalk_answer(received))
        elif url.path == "/wecom":
            self._answer(200, {"errcode": 0, "errmsg": "ok"})
        elif url.path == "/feishu":
            self._answer(200, web.feishu_answer(received))
        elif url.path in ("/sms", "/hook"):
            self._answer(200, {"ok": True})
        elif url.path.startswith("/status/"):
            self._answer(int(url.path.rsplit("/", 1)[1]), {"error": "as asked"})
        elif url.path == "/hang":
            web.release.wait(HANG_LIMIT)
            self.close_connection = True
        elif url.path == "/drip":
            self._drip(web)
        elif url.path == "/not-http":
            self.wfile.write(b"220 this is not an HTTP server\r\n")
            self.close_connection = True
        elif url.path == "/json-null":
            self._answer(200, None)
        else:
            self._answer(404, {"error": "no such robot"})

    def _drip(self, web: WebServer) -> None:
        """A WeCom-like answer sent one byte every 0.1 s: each read is quick, the whole
        answer takes 3 s."""
        data = b'{"errcode": 0}'.ljust(30)
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for byte in data:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if web.release.wait(0.1):
                return


class _Server(ThreadingHTTPServer):
    web: WebServer

    def handle_error(self, request, client_address):
        pass  # a client that timed out leaves a broken pipe behind; that is expected


class WebServer:
    """HTTP on loopback; ``url(path)`` names an endpoint, ``at(path)`` lists what arrived.

    ``dingtalk_secret`` / ``feishu_secret``: when set, the robot checks the signature and
    answers with DingTalk's 310000 or Feishu's 19021 when it does not match."""

    def __init__(self):
        self.dingtalk_secret = ""
        self.feishu_secret = ""
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.web = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def __enter__(self) -> WebServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def dingtalk_answer(self, received: Received) -> dict:
        if self.dingtalk_secret:
            stamp, sign = received.query.get("timestamp", ""), received.query.get("sign", "")
            expected = dingtalk_expected_sign(self.dingtalk_secret, stamp)
            if not (_fresh(stamp, unit=1000) and hmac.compare_digest(sign, expected)):
                return {"errcode": 310000, "errmsg": "sign not match"}
        return {"errcode": 0, "errmsg": "ok"}

    def feishu_answer(self, received: Received) -> dict:
        if self.feishu_secret:
            body = received.body if isinstance(received.body, dict) else {}
            stamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
            expected = feishu_expected_sign(self.feishu_secret, stamp)
            if not (_fresh(stamp, unit=1) and hmac.compare_digest(sign, expected)):
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
        return {"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success"}
