"""What the portal tests share: a solved proof of work, a filled form, a filed complaint."""

from __future__ import annotations

import io
import json
import re

import altcha
from django.test import Client

JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\x00" * 200
    + b"\xff\xd9"
)


def solved(client: Client) -> str:
    """A fresh challenge from the portal, solved as the widget would (base64 payload)."""
    challenge = altcha.Challenge.from_dict(client.get("/portal/challenge/").json())
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def form_data(client: Client, **over) -> dict:
    """A complete complaint as a person fills the form, with its proof of work."""
    data = {
        "category": "quality",
        "title": "电热水壶使用一周漏水",
        "description": "在A区12号鑫达电器行购买电热水壶，使用一周后底座漏水，商家拒绝调换。",
        "demand": "退货退款",
        "merchant": "鑫达电器行",
        "product": "电热水壶",
        "amount_involved": "299",
        "name": "张伟",
        "phone": "13912345678",
        "email": "",
        "privacy": "on",
        "website": "",
        "altcha": solved(client),
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def jpeg(name: str = "photo.jpg") -> io.BytesIO:
    handle = io.BytesIO(JPEG)
    handle.name = name
    return handle


def receipt(response) -> tuple[str, str]:
    """The tracking number and access code on the result page."""
    html = response.content.decode()
    number = re.search(r'id="tracking-no">([^<]+)<', html)
    code = re.search(r'id="access-code">([^<]+)<', html)
    assert number and code, html[:2000]
    return number.group(1).strip(), code.group(1).strip()


def file_one(client: Client, **over) -> tuple[str, str]:
    """File a complaint through the form; returns its tracking number and access code."""
    response = client.post("/portal/", form_data(client, **over), follow=True)
    assert response.status_code == 200, response.content.decode()[:3000]
    return receipt(response)


def api_json(client: Client, path: str, body: dict, **headers):
    return client.post(
        path, json.dumps(body), content_type="application/json", headers=headers or None
    )


INTERNAL_NOTE = "内部备注：该商户曾有三次同类投诉"
FINDINGS = "底座密封圈老化，属质量问题（调查员内部记录）"
REPLY = "商家已为您退货退款299元。"


def staff_reply(users: dict, number: str) -> None:
    """The market's staff work the complaint up to the reply, through the engine (the
    scenario helpers): accepted, investigated, approved, executed by quality, replied."""
    from tousu.plans.tests.scenario import api, step

    staff = {name: api(user) for name, user in users.items()}
    step(staff["clerk"], number, "accept", "investigation")
    step(staff["investigator"], number, "findings", "investigation", findings=FINDINGS)
    step(staff["investigator"], number, "propose", "approval", opinion="商家退货退款299元")
    step(staff["leader"], number, "approve", "execution")
    step(
        staff["clerk"],
        number,
        "transfer",
        "execution",
        department="quality",
        slip="投诉接收单：调查结论及处理意见",
        assignee="handler",
    )
    step(
        staff["handler"],
        number,
        "execute",
        "feedback",
        measure="refund",
        amount="299",
        result="商家已退款299元",
    )
    step(staff["clerk"], number, "reply", "confirmation", reply=REPLY, note=INTERNAL_NOTE)
