"""Outbound HTTP requests go only where an administrator allowed (SSRF guard).

A webhook or robot address is accepted when its host is on the allow-list
(``TOUSU_OUTBOUND_HOSTS``; by default the official hosts of the WeCom, DingTalk and
Feishu robots, plus the host of the configured SMS gateway) and every address the host
resolves to is a public one: loopback, private, link-local, multicast, reserved and
unspecified addresses are refused, by name and again after DNS resolution. The request
then connects to the address that was checked (no second lookup for a rebinding DNS to
answer differently) and never follows a redirect.

Tests that post to servers on loopback set ``OUTBOUND_ALLOW_LOOPBACK`` in their own
settings; ``tousu.settings`` never reads it from the environment, so production cannot
switch it on by accident.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

ROBOT_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "open.larksuite.com")
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class OutboundRefused(Exception):
    """The address is not one Tousu may send to; the message says why (translated)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address the request connects to


def allowed_hosts() -> list[str]:
    """The allow-list: the administrator's hosts (``*.example.cn`` matches subdomains),
    the SMS gateway's host, and loopback names where the test allowance is on."""
    hosts = [h.lower() for h in settings.OUTBOUND_HOSTS]
    gateway = urllib.parse.urlsplit(settings.SMS_WEBHOOK_URL or "").hostname
    if gateway:
        hosts.append(gateway.lower())
    if settings.OUTBOUND_ALLOW_LOOPBACK:
        hosts += LOOPBACK_NAMES
    return hosts


def _host_listed(host: str) -> bool:
    for pattern in allowed_hosts():
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def _address_ok(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return bool(settings.OUTBOUND_ALLOW_LOOPBACK)
    return address.is_global and not address.is_multicast


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def outbound_check(url: str, *, resolve: bool = True) -> Target:
    """The target of ``url`` when Tousu may post there; raises ``OutboundRefused``.

    With ``resolve`` the host is looked up and every address must be allowed; an address
    that cannot be looked up now raises ``OSError`` (try again later) — an input form
    passes ``resolve=False`` when the lookup fails and leaves it to delivery."""
    try:
        parts = urllib.parse.urlsplit((url or "").strip())
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(_("Not a valid web address.")) from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(_("A webhook address must be an http(s) URL."))
    if parts.username or parts.password:
        raise OutboundRefused(_("A webhook address may not carry a user name or password."))
    host = parts.hostname.lower().rstrip(".")
    port = port or (443 if parts.scheme == "https" else 80)
    literal = _literal(host)
    if literal is not None and not _address_ok(literal):
        raise OutboundRefused(
            _("Tousu does not send to internal addresses (loopback, private or link-local).")
        )
    if not _host_listed(host):
        raise OutboundRefused(
            _(
                "The host “%(host)s” is not on the list of hosts an administrator allowed "
                "(TOUSU_OUTBOUND_HOSTS)."
            )
            % {"host": host}
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if literal is not None or not resolve:
        return Target(parts.scheme, host, port, path, literal or "")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses or not all(_address_ok(a) for a in addresses):
        raise OutboundRefused(
            _("“%(host)s” resolves to an internal address; Tousu does not send there.")
            % {"host": host}
        )
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        self._context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._context)
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def connection_open(target: Target, timeout: float) -> http.client.HTTPConnection:
    """A connection to the checked address (the host name still goes in Host and SNI)."""
    if target.scheme == "https":
        return _PinnedHTTPS(target, timeout)
    return _PinnedHTTP(target, timeout)
