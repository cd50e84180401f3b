"""Realistic complaint content for the benchmark, without Django (the client uses it too).

Stories name the demo market's categories; the keys a complaint may use (channels,
severities, natures, categories) come from the server's vocabulary, which the seeder
reads from the database, so the content fits whichever plan the demo runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰"]
STALLS = ["A区12号", "A区3号", "B区8号", "B区21号", "C区5号", "C区17号", "D区2号", "一楼中庭"]
DISTRICTS = ["上城区", "西湖区", "拱墅区", "滨江区"]
ROADS = ["解放路", "文三路", "莫干山路", "江南大道"]

# Each story's business has outlets across a city: a complaint names one of 42,000
# respondents (14 businesses x 3,000 outlets), as an office's daily intake does, and a
# few of them gather three complaints in a week (the market plan's mass trigger). A
# storm about one merchant is bench/mass_bench.py's.
OUTLETS = 3_000


# A selective keyword (one story in fourteen) and one found in most complaints.
KEYWORDS = ("漏水", "要求")


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

CATEGORY_DEPARTMENT = {
    "quality": "quality",
    "food_safety": "food_hall",
    "after_sales": "after_sales",
    "price_fraud": "pricing",
    "measurement": "pricing",
    "false_advertising": "advertising",
    "service_attitude": "office",
}
# Relative frequencies; keys the running plan does not offer are left out (see ``pick``).
WEIGHTS = {
    "severity": {"ordinary": 80, "major": 15, "urgent": 5},
    "nature": {"problem": 90, "suggestion": 10},
    "channel": {
        "phone": 35,
        "walk_in": 25,
        "web": 12,
        "chat": 10,
        "letter": 5,
        "email": 6,
        "api": 4,
        "import": 3,
    },
}
# Fallback category for a story whose own category the plan lacks.
OTHER_CATEGORY = "other"

# What the server accepts: "channel", "severity", "nature" and "category" keys. The
# seeder reads it from the database (the running plan, else the built-in choices).
Vocabulary = dict[str, list[str]]
DEFAULT_VOCABULARY: Vocabulary = {
    **{name: list(weights) for name, weights in WEIGHTS.items()},
    "category": sorted({story.category for story in STORIES}),
}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def pick(rng: random.Random, name: str, vocabulary: Vocabulary) -> str:
    """A key for ``name`` among those allowed, by the usual frequencies."""
    allowed = vocabulary[name]
    weights = WEIGHTS.get(name, {})
    return rng.choices(allowed, weights=[weights.get(key, 1) for key in allowed])[0]


def phone(rng: random.Random) -> str:
    prefix = rng.choice(["138", "139", "135", "136", "150", "158", "186", "177", "199"])
    return prefix + f"{rng.randrange(10**8):08d}"


def id_number(rng: random.Random) -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit)."""
    region = rng.choice(["330102", "330106", "110105", "440304"])
    birth = f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"{region}{birth}{rng.randint(100, 999)}"
    total = sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True))
    return body + _ID_CHECK[total % 11]


def complainant(rng: random.Random) -> dict[str, str]:
    address = ""
    if rng.random() < 0.5:
        address = f"杭州市{rng.choice(DISTRICTS)}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
    return {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "phone": phone(rng),
        "id_number": id_number(rng) if rng.random() < 0.4 else "",
        "address": address,
        "email": "",
    }


def complaint(
    rng: random.Random,
    *,
    when: str,
    vocabulary: Vocabulary = DEFAULT_VOCABULARY,
    outlet: str = "",
) -> dict:
    """The text fields and choices of one complaint; ``when`` is e.g. ``3月14日``; the
    merchant's outlet number is ``outlet`` (e.g. a mark the load client fills in per
    request), else drawn."""
    story = rng.choice(STORIES)
    categories = vocabulary["category"]
    if story.category in categories:
        category = story.category
    else:
        category = OTHER_CATEGORY if OTHER_CATEGORY in categories else rng.choice(categories)
    outlet = outlet or str(rng.randint(1, OUTLETS))
    return {
        "channel": pick(rng, "channel", vocabulary),
        "title": story.title,
        "description": story.text.format(
            when=when, stall=rng.choice(STALLS), price=rng.randint(30, 3000)
        ),
        "category": category,
        "severity": pick(rng, "severity", vocabulary),
        "nature": pick(rng, "nature", vocabulary),
        "occurred_place": rng.choice(STALLS),
        "persons_involved": f"{story.merchant}店员" if rng.random() < 0.5 else "",
        "merchant": f"{story.merchant}（{outlet}号店）",
        "product": story.product,
        "confidential": rng.random() < 0.01,
    }
