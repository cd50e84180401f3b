"""Shared fixtures: a small organisation built through the services, as users build it."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import TransactionTestCase, override_settings

from tousu.accounts.choices import Role
from tousu.accounts.models import Department, User
from tousu.accounts.services import department_create, organisation_set, user_create
from tousu.audit.triggers import audit_maintenance
from tousu.complaints.models import Category

PASSWORD = "correct horse battery"


def pytest_collection_modifyitems(config, items):
    """Skip PostgreSQL-only tests on SQLite, browser tests on PostgreSQL (one leg runs
    them) and without Chromium.

    In CI (CI=true) a missing Chromium is an error, not a skip: the browser tests must run.
    """
    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL leg)")
            )
        if "browser" in item.keywords and vendor == "postgresql":
            # What a page shows does not depend on the vendor (its queries are tested on
            # both): Chromium runs in the SQLite leg, the heavy process tests in this one.
            item.add_marker(pytest.mark.skip(reason="a browser test: the SQLite leg runs it"))
        if "browser" in item.keywords and chromium is None:
            if os.environ.get("CI") == "true":
                raise pytest.UsageError(
                    "CI=true but Chromium is not installed: .ci/run installs Debian's chromium"
                )
            item.add_marker(
                pytest.mark.skip(
                    reason="Chromium not installed (apt-get install chromium fonts-noto-cjk)"
                )
            )


# Password hashing is not under test; the default costs ~0.25 s per user.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """For the module and session fixtures too (a demo organisation's users), which are
    made before any test's own settings."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        yield


@pytest.fixture(autouse=True, scope="session")
def _audit_log_flushable():
    """Let the flush after a transactional test empty the append-only audit tables.

    The database refuses DELETE and TRUNCATE of audit events and seals; Django's flush
    (``TransactionTestCase``, pytest-django's ``transactional_db``) runs inside the audit
    maintenance switch, for that one transaction. Nothing outside the tests switches it.
    """
    original = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        with audit_maintenance():
            original(self)

    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The SQLite and PostgreSQL legs run at once: their drills (numbered alike) must not
    # share directories.
    settings.DRILLS_DIR = settings.VAR_DIR / f"drills-{connection.vendor}"
    settings.PASSWORD_HASHERS = FAST_HASHERS
    # Every test client builds its own middleware, and WhiteNoise's scans the ~1,500
    # static files for its table each time (~90 ms a client); looking a file up when it is
    # asked for, as in development, serves the same files.
    settings.WHITENOISE_AUTOREFRESH = True


@dataclass
class Org:
    office: Department
    quality: Department
    food: Department
    after_sales: Department
    clerk: User
    investigator: User
    handler: User
    food_handler: User
    head: User
    after_sales_handler: User
    leader: User
    supervisor: User
    admin: User
    recorder: User


@pytest.fixture
def org(db) -> Org:
    organisation_set(name="测试市场")
    office = department_create(code="office", name="投诉处理办公室")
    quality = department_create(code="quality", name="商品质量管理部")
    food = department_create(code="food", name="食品区管理组", parent=quality)
    after_sales = department_create(code="after_sales", name="售后服务部")
    for key, name in [("quality", "商品质量"), ("after_sales", "售后服务"), ("price", "价格欺诈")]:
        Category.objects.create(key=key, name=name)

    def make(username, role, department, name):
        return user_create(
            username=username,
            password=PASSWORD,
            full_name=name,
            roles=[role],
            department=department,
        )

    return Org(
        office=office,
        quality=quality,
        food=food,
        after_sales=after_sales,
        clerk=make("clerk", Role.INTAKE_CLERK, office, "王晓梅"),
        investigator=make("investigator", Role.INVESTIGATOR, office, "李建国"),
        handler=make("handler", Role.DEPARTMENT_HANDLER, quality, "刘洋"),
        food_handler=make("food_handler", Role.DEPARTMENT_HANDLER, food, "马力"),
        head=make("head", Role.DEPARTMENT_HEAD, quality, "孙志强"),
        after_sales_handler=make("as_handler", Role.DEPARTMENT_HANDLER, after_sales, "何平"),
        leader=make("leader", Role.LEADERSHIP, None, "周国平"),
        supervisor=make("supervisor", Role.SUPERVISOR, office, "吴敏"),
        admin=make("admin", Role.ADMINISTRATOR, office, "郑磊"),
        recorder=make("recorder", Role.RECORDER, office, "赵丽"),
    )


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium():
    """Debian's headless Chromium driven by Playwright (the browser tests' one launch)."""
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield browser
        # The test's own ORM calls ran beside Playwright's event loop, on a connection of
        # their own: closed here, or PostgreSQL cannot drop the test database.
        connections.close_all()
        for context in browser.contexts:
            context.close()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
