"""Demo organisations: for any shipped template, its organisation, departments, one user
per role, and complaints over the last twelve months walked through the plan by the
people who would handle them — all through the services and the workflow engine."""

from __future__ import annotations

import random
from datetime import timedelta
from importlib import resources

from django.db import transaction
from django.utils import timezone

from tousu.accounts.choices import Role
from tousu.accounts.models import Department, User
from tousu.accounts.services import department_create, organisation_set, user_create
from tousu.complaints import services
from tousu.complaints.checks import ComplainantData
from tousu.complaints.choices import Channel, Status
from tousu.complaints.models import Complaint
from tousu.complaints.validators import _ID_CHECK, _ID_WEIGHTS
from tousu.complaints.workflow import complaint_act
from tousu.core.actors import IMPORT, INBOUND, MAIL, PORTAL
from tousu.core.problems import ServiceError
from tousu.core.yamlload import yaml_safe_load
from tousu.plans.choices import MONEY_MEASURES, ActionType, Satisfaction
from tousu.plans.engine import actions_available

DEMO_PASSWORD = "tousu-demo-2026"  # noqa: S105 - documented in the README; for the demo only
DEFAULT_PLAN = "market"
USERNAMES = (
    "clerk",
    "investigator",
    "mediator",
    "recorder",
    "handler",
    "head",
    "leader",
    "supervisor",
    "admin",
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志明",
    "文博",
    "雨涵",
]
CHANNEL_WEIGHTS = {
    Channel.PHONE: 35,
    Channel.WALK_IN: 25,
    Channel.WEB: 12,
    Channel.CHAT: 10,
    Channel.LETTER: 5,
    Channel.EMAIL: 6,
    Channel.API: 4,
    Channel.IMPORT: 3,
}
DOORS = {Channel.WEB: PORTAL, Channel.EMAIL: MAIL, Channel.API: INBOUND, Channel.IMPORT: IMPORT}
# Text for the data an action asks for, as a clerk would type it.
TEXTS = {
    "note": "按预案办理。",
    "reason": "经核实，按规定处理。",
    "findings": "已调取购物凭证并询问当事人，情况属实。",
    "evidence": "购物小票、现场照片各一份。",
    "report": "已按要求完成书面报告并报送。",
    "opinion": "建议由商家为消费者办理退换并书面致歉。",
    "agenda": "研究处理方案，明确责任人和处理时限。",
    "result": "已按批准的方案处理完毕。",
    "reply": "您反映的问题已核实并处理完毕，感谢您的监督。",
    "remarks": "投诉人表示认可。",
    "slip": "投诉接收单：已初步核实情况，请贵部门协助调查处理。",
}


def demo_data(plan_key: str) -> dict:
    """The shipped demo file of a template (organisation, departments, users, stories)."""
    path = resources.files("tousu.plans").joinpath(f"templates_yaml/{plan_key}.demo.yaml")
    try:
        return yaml_safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RuntimeError(f"no demo for plan {plan_key!r}") from exc


def demo_organisation_create(plan_key: str) -> dict[str, User]:
    """Organisation, departments and users of a template's demo, running that template.

    Returns the users by username. Loads the template first when it is not stored yet.
    """
    from tousu.plans.models import Plan
    from tousu.plans.services import organisation_plan_adopt, plan_load, template_source

    data = demo_data(plan_key)
    with transaction.atomic():
        organisation_set(name=data["organisation"])
        departments: dict[str, Department] = {}
        for row in data["departments"]:
            departments[row["code"]] = department_create(
                code=row["code"], name=row["name"], parent=departments.get(row.get("parent"))
            )
        users = {
            row["username"]: user_create(
                username=row["username"],
                password=DEMO_PASSWORD,
                full_name=row["name"],
                roles=[row["role"]],
                department=departments[row["department"]],
                is_superuser=row["role"] == Role.ADMINISTRATOR,
            )
            for row in data["users"]
        }
        if not Plan.objects.filter(key=plan_key).exists():
            plan_load(source=template_source(plan_key), note="shipped template")
        organisation_plan_adopt(key=plan_key)
    return users


def _phone(rng: random.Random) -> str:
    prefix = rng.choice(["138", "139", "135", "136", "150", "158", "186", "177", "199"])
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


def _id_number(rng: random.Random) -> str:
    birth = timezone.localdate() - timedelta(days=rng.randint(20 * 365, 70 * 365))
    region = rng.choice(["330102", "330106", "110105", "440304", "420111"])
    body = f"{region}{birth:%Y%m%d}{rng.randint(100, 999)}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def _complainant(rng: random.Random) -> ComplainantData:
    return ComplainantData(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN),
        phone=_phone(rng),
        id_number=_id_number(rng) if rng.random() < 0.4 else "",
        address=(
            f"{rng.choice(['上城区', '西湖区', '洪山区', '江汉区'])}"
            f"{rng.choice(['解放路', '文三路', '珞喻路', '建设大道'])}{rng.randint(1, 300)}号"
        )
        if rng.random() < 0.5
        else "",
    )


def _data_for(action, complaint, users: dict[str, User], rng: random.Random) -> dict:
    """Plausible data for an action, as the person doing it would enter it."""
    data: dict[str, object] = {name: TEXTS[name] for name in action.requires if name in TEXTS}
    kind = action.type
    if kind in (ActionType.REFUSE, ActionType.APPEAL):
        data["reason"] = TEXTS["reason"]
    if kind == ActionType.INVESTIGATE:
        data.setdefault("findings", TEXTS["findings"])
    if kind in (ActionType.REPORT, ActionType.PROPOSE, ActionType.REPLY):
        field = {"report": "report", "propose": "opinion", "reply": "reply"}[kind]
        data[field] = TEXTS[field]
    if kind == ActionType.SEND_BACK:
        data["note"] = "意见不够具体，请补充处理时限。"
    if kind == ActionType.TRANSFER:
        data["slip"] = TEXTS["slip"]
        handlers = [
            u
            for u in users.values()
            if u.has_role(Role.DEPARTMENT_HANDLER) and u.department_id != complaint.department_id
        ]
        if handlers:
            person = rng.choice(handlers)
            if person.department is not None:  # demo handlers all belong to a department
                data["department"], data["assignee"] = person.department.code, person.username
    if kind == ActionType.ASSIGN:
        people = [u for u in users.values() if u.department_id == complaint.department_id]
        if people:
            data["assignee"] = rng.choice(people).username
    if kind == ActionType.CLASSIFY:
        severities = complaint.plan.keys_of("severities")
        others = [s for s in severities if s != complaint.severity]
        if others:
            data["severity"] = others[0]
    if kind == ActionType.CONVENE_MEETING:
        data["owner"] = users["head"].username
        data["due_at"] = timezone.now() + timedelta(days=3)
        data["agenda"] = TEXTS["agenda"]
    if kind == ActionType.EXECUTE:
        measure = (action.measures or ["repair"])[0]
        data["measure"] = measure
        data["result"] = TEXTS["result"]
        if measure in MONEY_MEASURES:
            data["amount"] = str(rng.randint(50, 3000))
    if kind == ActionType.EXTEND:
        data["reason"] = "案情复杂，需补充调取证据，经负责人批准延期。"
    if "complained_person" in action.requires:
        # The person complained about: a handler of the complaint's department.
        staff = [
            u
            for u in users.values()
            if u.has_role(Role.DEPARTMENT_HANDLER) and u.department_id == complaint.department_id
        ] or [u for u in users.values() if u.has_role(Role.DEPARTMENT_HANDLER)]
        if staff:
            data["complained_person"] = rng.choice(staff).username
    if "items" in action.requires:
        data["items"] = rng.choice([1, 1, 1, 2])
    if "fine" in action.requires:
        data["fine"] = "150"
    if kind in (ActionType.RECORD_SATISFACTION, ActionType.RECORD_FOLLOW_UP):
        data["satisfaction"] = (
            Satisfaction.SATISFIED if rng.random() < 0.85 else Satisfaction.DISSATISFIED
        )
        data["reached"] = True
        data["remarks"] = TEXTS["remarks"]
    return data


def _walk(complaint, users: dict[str, User], rng: random.Random, steps: int):
    """Take up to ``steps`` plan actions, each by someone allowed to, as people would."""
    people = list(users.values())
    for _step in range(steps):
        if complaint.plan.stage(complaint.stage).terminal and rng.random() < 0.5:
            break
        choices = [
            (person, action)
            for person in people
            for action in actions_available(complaint=complaint, user=person)
            # Refusals, emergencies and reopening are the exception, not the walk.
            if action.type
            not in (
                ActionType.REFUSE,
                ActionType.MARK_EMERGENCY,
                ActionType.REOPEN,
                ActionType.APPEAL,
            )
        ]
        moving = [
            (p, a)
            for p, a in choices
            if a.to or a.type in (ActionType.RECORD_SATISFACTION, ActionType.RECORD_FOLLOW_UP)
        ]
        pool = moving if moving and rng.random() < 0.8 else choices
        rng.shuffle(pool)
        for person, action in pool[:4]:
            try:
                complaint = complaint_act(
                    complaint=complaint,
                    actor=person,
                    action=action.key,
                    version=complaint.version,
                    data=_data_for(action, complaint, users, rng),
                )
                break
            except ServiceError:
                complaint.refresh_from_db()
                continue
        else:
            break
    return complaint


def _settle_incidents() -> None:
    """The history's emergencies are over once all their complaints are closed: their
    commanders close them with an outcome (the open ones stay for the war room)."""
    from tousu.incidents.choices import OPEN_STATUSES, ResponderPart
    from tousu.incidents.models import Incident
    from tousu.incidents.response import incident_close

    for incident in Incident.objects.filter(status__in=OPEN_STATUSES):
        if incident.complaints.exclude(status__in=[Status.CLOSED, Status.ARCHIVED]).exists():
            continue
        commander = incident.responders.filter(part=ResponderPart.COMMANDER).first()
        if commander is None or incident.status == "reported":
            continue
        incident_close(
            incident=incident,
            actor=commander.user,
            outcome="所涉投诉均已办结，应急响应结束。",
        )


def demo_load(*, plan: str = DEFAULT_PLAN, complaints: int = 300, seed: int = 2026) -> dict:
    """Load a template's demo; refuses to run on a database that already has users."""
    if User.objects.exists():
        raise RuntimeError("the database already has users; the demo needs an empty one")
    rng = random.Random(seed)
    users = demo_organisation_create(plan)
    stories = demo_data(plan)["stories"]
    clerk = users["clerk"]
    active = Complaint._meta.apps.get_model("plans", "Plan").objects.get(key=plan).active_revision
    if active is None:  # loading the plan above activated its first revision
        raise RuntimeError(f"the plan {plan!r} has no active revision")
    definition = active.plan_model
    channels = [c for c in CHANNEL_WEIGHTS if c in definition.channels] or [
        Channel(definition.channels[0])
    ]
    now = timezone.now()
    for index in range(complaints):
        age_days = int(365 * (1 - (index / max(complaints, 1)) ** 0.8))
        received_at = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
        story = rng.choice(stories)
        when = timezone.localtime(received_at - timedelta(days=rng.randint(1, 20)))
        channel = rng.choices(channels, weights=[CHANNEL_WEIGHTS[c] for c in channels])[0]
        complaint = services.complaint_register(
            # The portal, mail and partner systems register their own: no clerk took them.
            actor=DOORS.get(channel, clerk),
            channel=channel,
            title=story["title"],
            description=story["text"].format(when=f"{when:%m月%d日}", price=rng.randint(30, 3000)),
            category=story["category"],
            severity=story.get("severity") or definition.severities[0].key,
            nature=story.get("nature") or definition.natures[0].key,
            occurred_at=when,
            merchant=story.get("merchant", ""),
            product=story.get("product", ""),
            confidential=rng.random() < 0.01,
            complainant=_complainant(rng),
            received_at=received_at,
        )
        # Older complaints have gone further: most are closed, recent ones are open.
        steps = 40 if age_days > 60 else rng.randint(2, 12) if age_days > 7 else rng.randint(0, 3)
        if not complaint.confidential:
            _walk(complaint, users, rng, steps)
    _settle_incidents()
    return {
        "plan": plan,
        "users": len(users),
        "complaints": complaints,
        "open": Complaint.objects.exclude(status__in=[Status.CLOSED, Status.ARCHIVED]).count(),
    }
