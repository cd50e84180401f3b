"""Mass complaints (群体性投诉): paraphrases of one matter form one matter, and the plan's
mass triggers count its distinct complainants inside their windows (complaints.similar)."""

from __future__ import annotations

import random
import threading
import unicodedata
from datetime import datetime, timedelta
from itertools import cycle

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tousu.complaints.models import (
    Complaint,
    ComplaintMatter,
    ComplaintSignature,
    SimilarityBand,
)
from tousu.complaints.services import ComplainantData, complaint_register
from tousu.complaints.shingles import nfkc, normalised, shingles, signature, similarity
from tousu.complaints.similar import mass_firings, similar_index, window_start
from tousu.complaints.similar_keys import BANDS, Facts, Fields, mass_triggers
from tousu.demo.loader import demo_organisation_create
from tousu.plans import schema
from tousu.plans.services import plan_load, template_source
from tousu.plans.tests.scenario import fake_clock

# One matter — expired fresh milk at 惠民超市 — in six wordings.
MILK = [
    (
        "惠民超市卖过期牛奶",
        "我昨天在惠民超市买的鲜牛奶已经过期三天了，喝了以后肚子疼，要求超市退款赔偿。",
    ),
    (
        "在惠民超市买到过期鲜牛奶",
        "今天上午在惠民超市购买的鲜牛奶，回家发现已过保质期，要求退货并赔偿。",
    ),
    (
        "惠民超市出售过期变质牛奶",
        "惠民超市货架上的鲜牛奶过期了还在卖，我买了一盒喝出酸味，孩子喝后腹泻。",
    ),
    (
        "投诉惠民超市过期牛奶",
        "惠民超市城东店销售过期的鲜牛奶，保质期到上周就过了，超市还在卖，要求赔偿。",
    ),
    (
        "惠民超市鲜牛奶过期",
        "在惠民超市买的鲜牛奶打开发现变质，一看日期已经过期，要求超市退款并道歉。",
    ),
    (
        "鲜牛奶过期了，惠民超市还在卖",
        "买了惠民超市的鲜牛奶，到家才发现过了保质期，喝了拉肚子，希望监管部门查处。",
    ),
]
# The same merchant, another matter.
PRICE = (
    "惠民超市价格欺诈",
    "惠民超市标价与结账价格不一致，货架标价9.9元的洗衣液结账时收了19.9元，属于价格欺诈。",
)
# Another matter at another merchant, in five wordings.
SCREEN = [
    (
        "华强电器手机屏幕问题",
        "在华强电器买的手机用了两个月屏幕出现绿线，去售后说是人为损坏，不给免费维修。",
    ),
    (
        "新买手机屏幕出现绿线",
        "华强电器购买的手机不到三个月，屏幕上出现一条绿线，商家拒绝保修，要收维修费。",
    ),
    (
        "手机屏幕绿线华强电器不保修",
        "手机在保修期内屏幕出现绿色竖线，华强电器售后认定为进水损坏，我从未进水，要求保修。",
    ),
    (
        "华强电器拒绝手机保修",
        "我的手机屏幕有绿线，在华强电器买的，售后以人为损坏为由拒绝三包，要求更换屏幕。",
    ),
    (
        "手机屏幕故障投诉",
        "华强电器卖的手机屏幕两个月就出现绿线，这是质量问题，商家却说要自费维修八百元。",
    ),
]
PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞"]
MONDAY = "2026-03-02T10:00:00+08:00"


@pytest.fixture
def users(db):
    """The market demo under a variant of its plan whose 同一商户 trigger counts every
    complaint about a stall, whatever each says (similarity 0): both kinds of count are
    exercised here. The shipped plan counts one matter (see incidents/tests/test_mass.py)."""
    people = demo_organisation_create("market")
    plan = yaml.safe_load(template_source("market"))
    for trigger in plan["emergency"]["triggers"]:
        if trigger["key"] == "same_merchant":
            trigger["mass"]["similarity"] = 0
    plan_load(source=yaml.safe_dump(plan, allow_unicode=True), activate=True)
    return people


@pytest.fixture
def clock(monkeypatch):
    return fake_clock(monkeypatch)


def register(users, text, person, *, merchant="惠民超市", product="鲜牛奶", phone=None):
    title, description = text
    return complaint_register(
        actor=users["clerk"],
        channel="phone",
        title=title,
        description=description,
        category="quality",
        complainant=ComplainantData(
            name=PEOPLE[person],
            phone=f"139{person:08d}" if phone is None else phone,
            address="" if phone is None else "城东路1号",
        ),
        merchant=merchant,
        product=product,
    )


def fired(complaint) -> dict[str, tuple[int, list[int]]]:
    """The mass triggers the complaint's registration reaches: key → (complainants, ids)."""
    firings = mass_firings(complaint=complaint, plan=complaint.plan, now=timezone.now())
    return {f.trigger: (f.complainants, f.complaint_ids) for f in firings}


def matter_of(complaint) -> int | None:
    return (
        ComplaintSignature.objects.filter(complaint=complaint)
        .values_list("matter_id", flat=True)
        .first()
    )


# Text and signatures ----------------------------------------------------------------


def test_shingles_ignore_width_case_punctuation_and_filler():
    assert shingles("ＡＢＣ牌 鲜牛奶！", "") == shingles("abc牌鲜牛奶", "")
    assert "的" not in shingles("我的牛奶", "")
    assert "要" not in shingles("要求退款", "") and "退" not in shingles("要求退款", "")
    assert shingles("。。。", "——") == frozenset()


def test_nfkc_is_unicode_s_nfkc():
    """The fast path gives exactly ``unicodedata``'s NFKC: each replaced character alone,
    before and after combining marks and other compatibility characters, and random
    texts drawn from Chinese, fullwidth, Latin, combining and compatibility ranges."""
    replaced = [chr(c) for c in [*range(0xFF01, 0xFF5F), 0x3000]]
    others = ["\u0301", "\u0327", "\u3099", "\u309a", "\u2026", "\uf900", "①", "ｶ", "ﾞ", "Å"]
    for char in replaced:
        for other in others:
            for text in (char + other, other + char, char + other + char):
                assert nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)
    pool = [
        *replaced,
        *others,
        *"投诉鲜牛奶，。、“”《》—abcAZ09 \n",
        *map(chr, range(0x300, 0x370)),
    ]
    rng = random.Random(13)
    for _ in range(3000):
        text = "".join(rng.choices(pool, k=rng.randint(1, 40)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)
    assert nfkc(MILK[0][1]) == unicodedata.normalize("NFKC", MILK[0][1])


def test_signatures_estimate_similarity():
    milk = [signature(shingles(*text)) for text in MILK]
    assert similarity(milk[0], milk[0]) == 1.0
    assert similarity(milk[0], signature(frozenset())) == 0.0
    assert similarity(milk[0], milk[1]) >= 0.3
    assert similarity(signature(shingles(*PRICE)), milk[0]) < 0.3


def test_merchants_compare_normalised_and_categories_by_lineage():
    assert normalised("惠民超市（城东店）") == normalised("惠民超市 城东店") == "惠民超市城东店"
    school = schema.Plan.model_validate(yaml.safe_load(template_source("school")))
    fields = Fields(school)

    def facts(category, merchant=""):
        return Facts(merchant=merchant, product="", place="", category=category, department=1)

    assert fields.same("category", facts("campus_safety"), facts("campus_service"))
    assert fields.same("category", facts("campus_service"), facts("campus_safety"))
    assert not fields.same("category", facts("campus_safety"), facts("campus_facilities"))
    assert not fields.same("category", facts("campus_safety"), facts("teaching"))
    assert not fields.same("merchant", facts("teaching"), facts("teaching"))  # blank
    assert fields.value("category", facts("campus_safety")) == "campus_service"


@pytest.mark.django_db
def test_working_days_windows_skip_the_weekend():
    monday = datetime.fromisoformat("2026-03-09T10:00:00+08:00")
    one = schema.Duration(amount=1, unit="working_days")
    assert window_start(one, monday) == datetime.fromisoformat("2026-03-06T10:00:00+08:00")
    # Saturday 28 February 2026 was a working day (调休 for the Spring Festival).
    early = datetime.fromisoformat("2026-03-02T10:00:00+08:00")
    assert window_start(one, early) == datetime.fromisoformat("2026-02-28T10:00:00+08:00")
    day = schema.Duration(amount=24, unit="hours")
    assert window_start(day, monday) == monday - timedelta(days=1)


# Matters and firings ----------------------------------------------------------------


def test_paraphrases_form_one_matter_and_fire_same_merchant_at_three_and_mass_at_five(users, clock):
    clock(MONDAY)
    complaints, seen = [], []
    for person, text in enumerate(MILK):
        complaints.append(register(users, text, person))
        seen.append(fired(complaints[-1]))
    ids = [c.pk for c in complaints]
    assert seen[0] == seen[1] == {}
    assert seen[2] == {"same_merchant": (3, ids[:3])}
    assert seen[3] == {"same_merchant": (4, ids[:4])}
    assert seen[4] == {"same_merchant": (5, ids[:5]), "mass": (5, ids[:5])}
    assert seen[5] == {"same_merchant": (6, ids), "mass": (6, ids)}
    # The strongest level first: 群体性投诉 (II) before 同一商户 (III).
    firings = mass_firings(complaint=complaints[5], plan=complaints[5].plan, now=timezone.now())
    assert [f.trigger for f in firings] == ["mass", "same_merchant"]
    matter = ComplaintMatter.objects.get()
    assert firings[0].group_key == matter.key == complaints[0].tracking_no
    assert firings[1].group_key == f"fields:{complaints[0].tracking_no}"
    assert {matter_of(c) for c in complaints} == {matter.pk}

    # Another matter of the same merchant: not in the matter, nor counted for 群体性投诉;
    # the plan's 同一商户 trigger counts every complaint about the stall (similarity 0).
    price = register(users, PRICE, 6, product="洗衣液")
    assert matter_of(price) not in (None, matter.pk)
    assert matter.members.count() == 6
    assert fired(price) == {"same_merchant": (7, [*ids, price.pk])}
    same_goods = register(users, MILK[0], 7)
    assert matter_of(same_goods) == matter.pk
    assert fired(same_goods)["mass"] == (7, [*ids, same_goods.pk])


def test_one_complainant_complaining_five_times_counts_once(users, clock):
    clock(MONDAY)
    same_person = [register(users, text, 0, merchant="华强电器", product="手机") for text in SCREEN]
    assert len({matter_of(c) for c in same_person}) == 1
    assert all(fired(c) == {} for c in same_person)
    # Without a phone number the name tells who it is.
    by_name = [
        register(users, SCREEN[i], 1, merchant="华强电器", product="手机", phone="") for i in (2, 3)
    ]
    assert fired(by_name[-1]) == {}
    third = register(users, SCREEN[1], 2, merchant="华强电器", product="手机")
    ids = sorted(c.pk for c in [*same_person, *by_name, third])
    assert fired(third) == {"same_merchant": (3, ids)}


def test_complaints_outside_the_window_do_not_count(users, clock):
    texts = cycle(MILK)

    def at(day, time, person):
        clock(f"2026-03-{day:02d}T{time}:00+08:00")
        return register(users, next(texts), person)

    a, b = at(2, "10:00", 0), at(2, "10:05", 1)
    c = at(10, "10:00", 2)  # eight days on: the 7-day window holds c alone
    assert fired(c) == {}
    assert matter_of(c) != matter_of(a) == matter_of(b)
    d, e = at(11, "10:00", 3), at(11, "11:00", 4)
    assert fired(e) == {"same_merchant": (3, [c.pk, d.pk, e.pk])}
    f, g = at(12, "09:00", 5), at(12, "09:30", 6)
    # Five in seven days, but c is more than 24 hours before g: four for 群体性投诉.
    assert fired(g) == {"same_merchant": (5, [c.pk, d.pk, e.pk, f.pk, g.pk])}
    h = at(12, "09:45", 7)
    assert fired(h) == {
        "same_merchant": (6, [c.pk, d.pk, e.pk, f.pk, g.pk, h.pk]),
        "mass": (5, [d.pk, e.pk, f.pk, g.pk, h.pk]),
    }


def test_a_plan_without_mass_triggers_stores_nothing(users):
    plan = yaml.safe_load(template_source("market"))
    triggers = plan["emergency"]["triggers"]
    plan["emergency"]["triggers"] = [t for t in triggers if "mass" not in t]
    plan_load(source=yaml.safe_dump(plan, allow_unicode=True), activate=True)
    complaints = [register(users, text, person) for person, text in enumerate(MILK)]
    assert mass_triggers(complaints[0].plan) == []
    assert not ComplaintSignature.objects.exists()
    assert not SimilarityBand.objects.exists()
    assert not ComplaintMatter.objects.exists()
    assert all(fired(c) == {} for c in complaints)
    with CaptureQueriesContext(connection) as queries:
        similar_index(complaint=complaints[0], plan=complaints[0].plan, now=timezone.now())
    assert len(queries) == 0


def test_a_complaint_without_the_fields_the_triggers_compare_stores_nothing(users):
    # Every mass trigger of the market plan compares the merchant; a blank one never matches.
    complaint = register(users, MILK[0], 0, merchant="")
    assert not ComplaintSignature.objects.filter(complaint=complaint).exists()
    assert not SimilarityBand.objects.exists()
    assert fired(complaint) == {}


def test_indexing_and_counting_take_a_few_queries(users):
    first, second = (register(users, text, person) for person, text in enumerate(MILK[:2]))
    # PostgreSQL: its buckets locked, the candidates read, then one statement: the matter
    # started (or joined, its row locked: those joining one matter take turns), the
    # signature and the bands. SQLite, one writer at a time and no row locks: candidates,
    # (the matter), signature, bands.
    counts = {"postgresql": (3, 3), "sqlite": (4, 3)}[connection.vendor]
    for complaint, queries in zip((first, second), counts, strict=True):
        # Index it again, as registration did.
        SimilarityBand.objects.filter(complaint=complaint).delete()
        ComplaintSignature.objects.filter(complaint=complaint).delete()
        ComplaintMatter.objects.filter(key=complaint.tracking_no).delete()
        with CaptureQueriesContext(connection) as captured:
            similar_index(complaint=complaint, plan=complaint.plan, now=timezone.now())
        assert len(captured) == queries, "\n".join(q["sql"][:200] for q in captured)
    with CaptureQueriesContext(connection) as captured:
        fired(second)
    # The matter's members, and the stall's complaints (同一商户 compares the merchant alone).
    assert len(captured) == 2
    # The complaint whose registration started its matter is the matter's one member
    # then: only the stall is read, and the count is the one the matter's rows give.
    started = register(users, SCREEN[0], 5, merchant="华强电器", product="手机")
    with CaptureQueriesContext(connection) as captured:
        counted = fired(started)
    assert len(captured) == 1, "\n".join(q["sql"][:200] for q in captured)
    assert counted == fired(Complaint.objects.get(pk=started.pk))
    assert SimilarityBand.objects.filter(complaint=second).count() == BANDS + 1


# Concurrency ------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_storm_registered_at_once_ends_in_one_matter(monkeypatch):
    users = demo_organisation_create("market")
    # The index alone is under test: no incidents are opened from the firings.
    monkeypatch.setattr("tousu.complaints.hooks._hooks", [])
    threads, per_thread = 8, 4
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def storm(worker: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                person = worker * per_thread + i
                title, description = MILK[person % len(MILK)]
                complaint_register(
                    actor=users["clerk"],
                    channel="phone",
                    title=title,
                    description=description,
                    category="quality",
                    complainant=ComplainantData(name=f"投诉人{person}", phone=f"138{person:08d}"),
                    merchant="惠民超市",
                    product="鲜牛奶",
                )
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    running = [threading.Thread(target=storm, args=(n,)) for n in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    assert errors == []
    assert Complaint.objects.count() == threads * per_thread
    assert ComplaintSignature.objects.count() == threads * per_thread
    assert ComplaintMatter.objects.count() == 1


def test_the_signature_is_the_minimum_of_each_hash_over_the_shingles():
    """numpy's lane-wise minimum gives the bytes the plain definition gives."""
    import hashlib
    import struct

    layout = struct.Struct("<128I")
    for text in [*MILK, PRICE, *SCREEN, ("A", "")]:
        found = shingles(*text)
        rows = [layout.unpack(hashlib.shake_128(s.encode()).digest(layout.size)) for s in found]
        expected = layout.pack(*(min(column) for column in zip(*rows, strict=True)))
        assert signature(found) == expected
    assert signature(frozenset()) == b""
