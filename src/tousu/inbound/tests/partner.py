"""The other side of the inbound API in tests: a source's system that signs and sends as
docs/inbound-api.md tells it to, and an HTTP server on loopback that receives callbacks."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.test import Client

from tousu.inbound.signatures import signature_headers

BODY = {
    "title": "学校门口流动摊贩长期占道经营",
    "description": "城南第二小学门口放学时段有流动摊贩占用人行道，学生只能走机动车道。",
    "category": "urban_management",
    "complainant": {"name": "王芳", "phone": "13912345678", "email": "wangfang@example.cn"},
    "occurred_place": "城南第二小学门口",
    "external_id": "12345-20260930-0001",
}


def raw(body: dict | bytes) -> bytes:
    if isinstance(body, bytes):
        return body
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


@dataclass
class Partner:
    """A source's system: ``key`` and ``secret`` as the administrator gave them."""

    key: str
    secret: str
    client: Client = field(default_factory=Client)

    def headers(
        self, method: str, path: str, body: bytes = b"", *, timestamp: int | None = None
    ) -> dict:
        """The headers signing ``method`` to ``path`` with ``body``, now (or at
        ``timestamp``)."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return signature_headers(self.secret, method=method, path=path, body=body, timestamp=stamp)

    def url(self, path: str) -> str:
        return f"/api/v1/inbound/{self.key}/{path}"

    def post(
        self,
        path: str,
        body: dict | bytes,
        *,
        idempotency_key: str | None = "delivery-1",
        timestamp: int | None = None,
        headers: dict | None = None,
    ):
        """POST ``body`` to ``/api/v1/inbound/<key>/<path>``, signed now (or at
        ``timestamp``); ``headers`` replace the signed ones."""
        data = raw(body)
        url = self.url(path)
        sent = self.headers("POST", url, data, timestamp=timestamp)
        if idempotency_key is not None:
            sent["Idempotency-Key"] = idempotency_key
        sent.update(headers or {})
        return self.client.post(
            url,
            data,
            content_type="application/json",
            headers=sent,
        )

    def deliver(self, body: dict | bytes = b"", **options):
        return self.post("complaints", body or BODY, **options)

    def get(self, tracking_no: str, *, timestamp: int | None = None):
        path = self.url(f"complaints/{tracking_no}")
        return self.client.get(path, headers=self.headers("GET", path, timestamp=timestamp))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # keep the test output clean
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.received.append(Received(self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')


class _Server(ThreadingHTTPServer):
    received: list[Received]
    lock: threading.Lock


class CallbackServer:
    """The source's callback endpoint on 127.0.0.1, keeping the raw bodies it gets."""

    def __init__(self):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.received = []
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    @property
    def received(self) -> list[Received]:
        with self._server.lock:
            return list(self._server.received)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
