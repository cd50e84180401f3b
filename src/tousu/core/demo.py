"""The demo organisation: a market with its departments, one user per role and about
300 complaints over the last twelve months, all created through the services."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tousu.accounts.choices import Role
from tousu.accounts.models import Department, User
from tousu.accounts.services import department_create, organisation_set, user_create
from tousu.complaints import services
from tousu.complaints.choices import Channel, Nature, Severity, Status
from tousu.complaints.models import Category, Complaint

DEMO_PASSWORD = "tousu-demo"  # noqa: S105 - documented in the README; for the demo only
ORGANISATION = "东湖商贸市场"

DEPARTMENTS = [
    ("leadership", "市场投诉处理领导小组", None),
    ("office", "市场投诉处理办公室", None),
    ("quality", "商品质量管理部", None),
    ("after_sales", "售后服务部", None),
    ("pricing", "价格监督部", None),
    ("advertising", "广告宣传管理部", None),
    ("finance", "财务部", None),
    ("food_hall", "食品区管理组", "quality"),
]

CATEGORIES = [
    ("quality", "商品质量"),
    ("after_sales", "售后服务"),
    ("price_fraud", "价格欺诈"),
    ("false_advertising", "虚假宣传"),
    ("service_attitude", "服务态度"),
    ("food_safety", "食品安全"),
    ("measurement", "计量短缺"),
]
CATEGORY_DEPARTMENT = {
    "quality": "quality",
    "food_safety": "food_hall",
    "after_sales": "after_sales",
    "price_fraud": "pricing",
    "measurement": "pricing",
    "false_advertising": "advertising",
    "service_attitude": "office",
}

# username, name, role, department
USERS = [
    ("clerk", "王晓梅", Role.INTAKE_CLERK, "office"),
    ("investigator", "李建国", Role.INVESTIGATOR, "office"),
    ("mediator", "陈静", Role.MEDIATOR, "office"),
    ("recorder", "赵丽", Role.RECORDER, "office"),
    ("handler", "刘洋", Role.DEPARTMENT_HANDLER, "quality"),
    ("head", "孙志强", Role.DEPARTMENT_HEAD, "quality"),
    ("leader", "周国平", Role.LEADERSHIP, "leadership"),
    ("supervisor", "吴敏", Role.SUPERVISOR, "office"),
    ("admin", "郑磊", Role.ADMINISTRATOR, "office"),
]

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
STALLS = [
    "A区12号",
    "A区3号",
    "B区8号",
    "B区21号",
    "C区5号",
    "C区17号",
    "D区2号",
    "一楼中庭",
    "二楼东侧",
    "地下一层生鲜区",
]


@dataclass(frozen=True)
class Story:
    category: str
    merchant: str
    product: str
    title: str
    text: str


STORIES = [
    Story(
        "quality",
        "鑫达电器行",
        "电热水壶",
        "电热水壶使用一周漏水",
        "{when}在{stall}鑫达电器行购买电热水壶一台，价格{price}元，使用一周后底座漏水，"
        "商家称需自行寄回厂家检测，拒绝当场调换。要求退货并赔偿。",
    ),
    Story(
        "quality",
        "华美服饰",
        "羊毛大衣",
        "大衣洗后严重缩水起球",
        "{when}在{stall}华美服饰购买羊毛大衣，标签写明羊毛含量80%，按说明干洗后严重缩水起球，"
        "怀疑成分不符，要求商家出具质检报告并退款{price}元。",
    ),
    Story(
        "quality",
        "佳佳母婴店",
        "婴儿推车",
        "婴儿推车刹车失灵",
        "{when}购买的婴儿推车刹车失灵，差点造成孩子受伤，商家只同意维修。消费者认为存在安全隐患，"
        "要求退货并对同批次产品进行检查。",
    ),
    Story(
        "food_safety",
        "老张熟食",
        "卤牛肉",
        "熟食变质导致腹泻",
        "{when}在{stall}老张熟食购买卤牛肉，食用后全家三人出现腹泻，已就医，有医院票据。"
        "要求商家赔偿医药费{price}元并说明食品来源。",
    ),
    Story(
        "food_safety",
        "鲜果坊",
        "进口车厘子",
        "水果以次充好部分腐烂",
        "{when}购买进口车厘子两斤，回家发现下层大量腐烂，商家称售出不退。要求退款并整改陈列方式。",
    ),
    Story(
        "after_sales",
        "恒通手机店",
        "智能手机",
        "手机保修期内维修被拖延",
        "{when}购买的手机在保修期内屏幕失灵，送修至今已超过二十天未修好，多次催问无果，"
        "要求更换新机或退款。",
    ),
    Story(
        "after_sales",
        "美居家具城",
        "实木餐桌",
        "家具送货延误且安装不到位",
        "{when}在美居家具城订购实木餐桌，约定七天送货，实际拖延半个月，安装后桌面不平，"
        "售后人员态度推诿。要求重新安装并赔偿误工损失。",
    ),
    Story(
        "price_fraud",
        "金源超市",
        "食用油",
        "标价与结算价格不符",
        "{when}在金源超市购买食用油，货架标价59.9元，结账时按79.9元收取，"
        "收银员称价签未更新。消费者认为属于价格欺诈，要求按规定赔偿。",
    ),
    Story(
        "price_fraud",
        "海鲜大排档",
        "活虾",
        "海鲜按只计价变按斤计价",
        "{when}在{stall}海鲜档点菜时店员口头说明按只计价，结账时改为按斤计价，多收{price}元，"
        "要求退还多收费用。",
    ),
    Story(
        "measurement",
        "李记粮油",
        "大米",
        "缺斤短两",
        "{when}在{stall}李记粮油购买大米十斤，回家复称只有八斤六两，怀疑电子秤作弊，"
        "要求市场对该摊位计量器具进行检查。",
    ),
    Story(
        "false_advertising",
        "康健保健品店",
        "保健品",
        "保健品宣称能治疗糖尿病",
        "{when}在康健保健品店，店员宣称某保健品可以治愈糖尿病并停用药物，老人购买花费{price}元。"
        "家属认为属于虚假宣传，要求退款并查处。",
    ),
    Story(
        "false_advertising",
        "优品眼镜",
        "防蓝光眼镜",
        "宣传“买一送一”实际加价",
        "{when}优品眼镜宣传“买一送一”，实际先提价再赠送，与此前价格对比明显，要求说明并退还差价。",
    ),
    Story(
        "service_attitude",
        "市场停车场",
        "停车服务",
        "停车场收费员态度恶劣",
        "{when}在市场停车场缴费时，对收费标准提出疑问，收费员出言不逊并拒绝出具票据。"
        "要求道歉并公示收费标准。",
    ),
    Story(
        "service_attitude",
        "一楼服务台",
        "咨询服务",
        "服务台工作人员推诿",
        "{when}到一楼服务台咨询退货流程，工作人员让其找商家，商家又让其找服务台，来回推诿两小时，"
        "希望明确首问负责。",
    ),
]

SEVERITY_WEIGHTS = [(Severity.ORDINARY, 80), (Severity.MAJOR, 15), (Severity.URGENT, 5)]
CHANNEL_WEIGHTS = [
    (Channel.PHONE, 35),
    (Channel.WALK_IN, 25),
    (Channel.WEB, 12),
    (Channel.CHAT, 10),
    (Channel.LETTER, 5),
    (Channel.EMAIL, 6),
    (Channel.API, 4),
    (Channel.IMPORT, 3),
]


def _pick(rng: random.Random, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "135", "136", "150", "158", "186", "177", "199"]) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def _id_number(rng: random.Random, years_ago: int) -> str:
    from tousu.complaints.validators import _ID_CHECK, _ID_WEIGHTS

    birth = timezone.localdate() - timedelta(days=365 * years_ago + rng.randint(0, 364))
    region = rng.choice(["330102", "330106", "110105", "440304"])
    body = f"{region}{birth:%Y%m%d}{rng.randint(100, 999)}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def _status_for(rng: random.Random, age_days: int) -> list[str]:
    """The statuses a complaint of this age went through after assignment."""
    path = [
        Status.INVESTIGATING,
        Status.AWAITING_APPROVAL,
        Status.EXECUTING,
        Status.REPLIED,
        Status.CLOSED,
        Status.ARCHIVED,
    ]
    if age_days > 60:
        reach = rng.choice([5, 5, 6, 6, 6, 4])
    elif age_days > 14:
        reach = rng.randint(2, 5)
    else:
        reach = rng.randint(0, 3)
    return path[:reach]


def demo_load(*, complaints: int = 300, seed: int = 2026) -> dict:
    """Load the demo market; refuses to run on a database that already has users."""
    if User.objects.exists():
        raise RuntimeError("the database already has users; the demo needs an empty one")
    rng = random.Random(seed)
    with transaction.atomic():
        organisation_set(name=ORGANISATION)
        departments: dict[str, Department] = {}
        for code, name, parent in DEPARTMENTS:
            departments[code] = department_create(
                code=code, name=name, parent=departments.get(parent) if parent else None
            )
        for key, name in CATEGORIES:
            Category.objects.create(key=key, name=name)
        users = {
            username: user_create(
                username=username,
                password=DEMO_PASSWORD,
                full_name=name,
                roles=[role],
                department=departments[dept],
                is_superuser=role == Role.ADMINISTRATOR,
            )
            for username, name, role, dept in USERS
        }
    clerk, leader = users["clerk"], users["leader"]
    now = timezone.now()
    created = 0
    for index in range(complaints):
        age_days = int(365 * (1 - (index / complaints) ** 0.8))  # more recent complaints
        received_at = now - timedelta(days=age_days, minutes=rng.randint(0, 600))
        story = rng.choice(STORIES)
        when = timezone.localtime(received_at - timedelta(days=rng.randint(1, 20)))
        severity = _pick(rng, SEVERITY_WEIGHTS)
        person = services.ComplainantData(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            phone=_phone(rng),
            id_number=_id_number(rng, rng.randint(20, 70)) if rng.random() < 0.4 else "",
            address=f"杭州市{rng.choice(['上城区', '西湖区', '拱墅区', '滨江区'])}"
            f"{rng.choice(['解放路', '文三路', '莫干山路', '江南大道'])}{rng.randint(1, 300)}号"
            if rng.random() < 0.5
            else "",
        )
        complaint = services.complaint_register(
            actor=clerk,
            channel=_pick(rng, CHANNEL_WEIGHTS),
            title=story.title,
            description=story.text.format(
                when=f"{when:%m月%d日}", stall=rng.choice(STALLS), price=rng.randint(30, 3000)
            ),
            category=story.category,
            severity=severity,
            nature=Nature.PROBLEM if rng.random() < 0.9 else Nature.SUGGESTION,
            occurred_at=when,
            occurred_place=rng.choice(STALLS),
            merchant=story.merchant,
            product=story.product,
            persons_involved=f"{story.merchant}店员" if rng.random() < 0.5 else "",
            confidential=rng.random() < 0.01,
            complainant=person,
            received_at=received_at,
        )
        created += 1
        if age_days < 4 and rng.random() < 0.6:
            continue  # still waiting for assignment
        target = CATEGORY_DEPARTMENT[story.category]
        actor = leader if complaint.confidential else clerk
        if target == "office":
            assignee = rng.choice(["investigator", "mediator"])
        else:
            assignee = "handler" if target == "quality" and rng.random() < 0.6 else ""
        complaint = services.complaint_assign(
            actor=actor,
            complaint=complaint,
            version=complaint.version,
            department=target,
            assignee=assignee,
            note="按类别转交承办部门" if target != "office" else "",
        )
        for status in _status_for(rng, age_days):
            complaint = services.complaint_status_set(
                actor=leader, complaint=complaint, version=complaint.version, status=status
            )
    return {
        "users": len(users),
        "complaints": created,
        "open": Complaint.objects.exclude(status__in=[Status.CLOSED, Status.ARCHIVED]).count(),
    }


def demo_data(plan_key: str) -> dict:
    """The shipped demo file of a template (organisation, departments, users, stories)."""
    from importlib import resources

    import yaml

    path = resources.files("tousu.plans").joinpath(f"templates_yaml/{plan_key}.demo.yaml")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
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
