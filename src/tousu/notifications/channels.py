"""Delivering one notification over its channel: SMTP email, group-robot webhooks of
WeCom (企业微信), DingTalk (钉钉, signed) and Feishu (飞书, signed), and a generic JSON
webhook for an SMS gateway. Every call has a bounded timeout."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import time
import urllib.parse

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import override

from tousu.notifications.choices import Channel
from tousu.notifications.outbound import OutboundRefused, connection_open, outbound_check


class DeliveryError(Exception):
    """A delivery failed; ``permanent`` ones are not tried again."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def _read_within(response, seconds: float) -> bytes:
    """The body, but never longer than ``seconds`` in all: a host that answers drop by
    drop is cut off, not waited for."""
    deadline, chunks, size = time.monotonic() + seconds, [], 0
    while size < 65536:
        chunk = response.read(1024)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise DeliveryError("no answer: timed out")
    return b"".join(chunks)


def _post_json(
    url: str,
    payload: dict | None,
    *,
    key: str,
    extra_headers: dict[str, str] | None = None,
    raw: bytes | None = None,
) -> bytes:
    """POST ``payload`` to an allowed address (``outbound.outbound_check``), to the
    address that was checked, without following a redirect."""
    try:
        with override("en"):  # the row's error is for operators, like the others here
            target = outbound_check(url)
    except OutboundRefused as exc:
        raise DeliveryError(f"refused address: {exc}", permanent=True) from exc
    except OSError as exc:  # the name does not resolve now: try again later
        raise DeliveryError(f"no answer: {exc}") from exc
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Tousu-Key": key}
    headers.update(extra_headers or {})
    connection = connection_open(target, settings.NOTIFICATION_TIMEOUT)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        if 300 <= status < 400:
            raise DeliveryError(f"HTTP {status}: redirects are not followed", permanent=True)
        if status >= 400:
            # 4xx (but 408 and 429) will not get better by trying again.
            permanent = status < 500 and status not in (408, 429)
            raise DeliveryError(f"HTTP {status}", permanent=permanent)
        return _read_within(response, settings.NOTIFICATION_TIMEOUT)
    except (TimeoutError, ConnectionError, OSError) as exc:
        raise DeliveryError(f"no answer: {exc}") from exc
    except http.client.HTTPException as exc:
        raise DeliveryError(f"not an HTTP answer: {type(exc).__name__}") from exc
    finally:
        connection.close()


def _robot_answer(raw: bytes, field: str) -> None:
    """Group robots answer 200 with an error code in the body."""
    try:
        answer = json.loads(raw or b"{}")
    except ValueError as exc:
        raise DeliveryError("the robot's answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise DeliveryError("the robot's answer is not a JSON object")
    code = answer.get(field, answer.get("StatusCode", 0))
    if code not in (0, "0", None):
        message = answer.get("errmsg") or answer.get("msg") or ""
        raise DeliveryError(f"robot error {code}: {message}", permanent=False)


def _text(notification) -> str:
    return f"{notification.subject}\n{notification.body}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp: int) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _dingtalk(notification) -> None:
    url = notification.address
    if notification.secret:
        stamp = int(time.time() * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(notification.secret, stamp))
        url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
    payload = {"msgtype": "text", "text": {"content": _text(notification)}}
    _robot_answer(_post_json(url, payload, key=notification.key), "errcode")


def _wecom(notification) -> None:
    payload = {"msgtype": "text", "text": {"content": _text(notification)}}
    _robot_answer(_post_json(notification.address, payload, key=notification.key), "errcode")


def _feishu(notification) -> None:
    payload: dict = {"msg_type": "text", "content": {"text": _text(notification)}}
    if notification.secret:
        stamp = int(time.time())
        payload.update(timestamp=str(stamp), sign=feishu_sign(notification.secret, stamp))
    _robot_answer(_post_json(notification.address, payload, key=notification.key), "code")


def _payload(notification, to: str = "") -> dict:
    return {
        "key": notification.key,
        "to": to,
        "subject": notification.subject,
        "text": notification.body,
        "complaint": notification.complaint.tracking_no if notification.complaint_id else None,
    }


def _webhook(notification) -> None:
    _post_json(notification.address, _payload(notification), key=notification.key)


def callback_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``"{timestamp}." + body`` under the partner's
    secret — the scheme partner systems sign their deliveries to us with, too."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _callback(notification) -> None:
    """A partner system's callback: the stored body is the JSON document, posted byte for
    byte as stored and signed with the partner's secret at each try."""
    body = notification.body.encode("utf-8")
    stamp = int(time.time())
    headers = {"X-Tousu-Timestamp": str(stamp)}
    if notification.secret:
        headers["X-Tousu-Signature"] = callback_signature(notification.secret, stamp, body)
    _post_json(notification.address, None, key=notification.key, extra_headers=headers, raw=body)


def _sms(notification) -> None:
    """A text message to a phone number, handed to the configured SMS gateway."""
    if not settings.SMS_WEBHOOK_URL:
        raise DeliveryError("no SMS gateway is configured (TOUSU_SMS_WEBHOOK_URL)", permanent=True)
    _post_json(
        settings.SMS_WEBHOOK_URL, _payload(notification, notification.address), key=notification.key
    )


def message_id(key: str) -> str:
    """The same Message-ID on every try of one notification."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@tousu.local>"


def _email(notification) -> None:
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        to=[notification.address],
        reply_to=[settings.MAIL_REPLY_TO] if settings.MAIL_REPLY_TO else None,
        headers={
            # The same key on every try: a receiver can drop a repeated delivery.
            "Message-ID": message_id(notification.key),
            "X-Tousu-Key": notification.key,
            # RFC 3834: machine-sent. Auto-responders stay silent and Tousu's own mail
            # reader never takes one of these for a complaint (no mail loops).
            "Auto-Submitted": "auto-generated",
        },
        connection=get_connection(timeout=settings.NOTIFICATION_TIMEOUT),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        # 4xx is "not now" (greylisting); only 5xx for every address is final.
        final = all(code >= 500 for code, _msg in exc.recipients.values())
        raise DeliveryError("the mail server refused the address", permanent=final) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"SMTP {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600 and exc.smtp_code != 554
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc


ADAPTERS = {
    Channel.EMAIL: _email,
    Channel.DINGTALK: _dingtalk,
    Channel.WECOM: _wecom,
    Channel.FEISHU: _feishu,
    Channel.WEBHOOK: _webhook,
    Channel.SMS: _sms,
    Channel.CALLBACK: _callback,
}


def deliver(notification) -> None:
    """Send it; raises ``DeliveryError`` — whatever went wrong, so that one odd answer
    never stops the rest of a delivery pass."""
    adapter = ADAPTERS.get(notification.channel)
    if adapter is None:
        raise DeliveryError(f"no adapter for {notification.channel}", permanent=True)
    try:
        adapter(notification)
    except DeliveryError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported on the row, tried again later
        raise DeliveryError(f"unexpected {type(exc).__name__}: {exc}"[:500]) from exc
