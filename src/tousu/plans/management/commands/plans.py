from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tousu.accounts.models import User
from tousu.core.problems import InvalidInput, NotFound
from tousu.plans.selectors import plans_list, revision_diff, revision_get
from tousu.plans.services import (
    TEMPLATE_KEYS,
    organisation_plan_adopt,
    plan_activate,
    plan_load,
    template_source,
    templates_install,
)
from tousu.plans.validation import plan_parse


class Command(BaseCommand):
    help = "Complaint plans: validate, load, list, show, diff, activate and adopt."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        validate = sub.add_parser("validate", help="check a plan file; exit 1 naming each error")
        validate.add_argument("file")
        load = sub.add_parser("load", help="store a plan file as the plan's next revision")
        load.add_argument("file")
        load.add_argument("--author", help="username of the author")
        load.add_argument("--effective-date", type=date.fromisoformat)
        load.add_argument("--note", default="")
        load.add_argument("--activate", action="store_true", help="make it the active revision")
        sub.add_parser("list", help="the stored plans")
        show = sub.add_parser("show", help="print a revision's file")
        show.add_argument("key")
        show.add_argument("--revision", type=int)
        diff = sub.add_parser("diff", help="what changed between two revisions")
        diff.add_argument("key")
        diff.add_argument("a", type=int)
        diff.add_argument("b", type=int)
        activate = sub.add_parser("activate", help="make a revision the active one")
        activate.add_argument("key")
        activate.add_argument("revision", type=int)
        adopt = sub.add_parser("adopt", help="run the organisation under a plan")
        adopt.add_argument("key")
        sub.add_parser("install-templates", help="load the shipped templates not stored yet")

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["action"].replace("-", "_"))(options)
        except NotFound as exc:
            raise CommandError(str(exc)) from exc
        except InvalidInput as exc:
            lines = [f"{path}: {m}" for path, ms in exc.field_errors.items() for m in ms]
            raise CommandError("\n".join([str(exc.detail), *lines])) from exc

    def _read(self, name: str) -> bytes:
        path = Path(name)
        if not path.is_file():
            raise CommandError(f"{name}: no such file")
        return path.read_bytes()

    def _validate(self, options):
        result = plan_parse(self._read(options["file"]))
        plan = result.plan
        if plan is None or not result.ok:
            for error in result.errors:
                self.stderr.write(f"{options['file']}: {error}")
            raise CommandError(f"{len(result.errors)} error(s) in {options['file']}")
        actions = sum(len(stage.actions) for stage in plan.stages.values())
        self.stdout.write(
            f"{options['file']}: ok — {plan.key} “{plan.metadata.name}”, "
            f"{len(plan.stages)} stages, {actions} actions"
        )

    def _load(self, options):
        author = None
        if options["author"]:
            author = User.objects.filter(username=options["author"]).first()
            if author is None:
                raise CommandError(f"no user named {options['author']!r}")
        revision = plan_load(
            source=self._read(options["file"]),
            author=author,
            effective_date=options["effective_date"],
            note=options["note"],
            activate=options["activate"],
        )
        revision.plan.refresh_from_db()
        active = revision.plan.active_revision_id == revision.pk
        self.stdout.write(
            f"loaded {revision.plan.key} revision {revision.number}"
            f" (effective {revision.effective_date}){' — active' if active else ''}"
        )

    def _list(self, options):
        rows = list(plans_list())
        self.stdout.write(f"{'key':<20} {'active':>6} {'revisions':>9}  effective   name")
        for plan in rows:
            active = plan.active_revision
            self.stdout.write(
                f"{plan.key:<20} {('r' + str(active.number)) if active else '—':>6} "
                f"{plan.revision_count:>9}  {active.effective_date if active else '—'!s:<10}  "
                f"{plan.name}"
            )
        stored = {plan.key for plan in rows}
        for key in TEMPLATE_KEYS:
            if key not in stored:
                parsed = plan_parse(template_source(key)).plan
                if parsed is None:
                    raise CommandError(f"the shipped template {key} does not validate")
                self.stdout.write(
                    f"{key:<20} {'—':>6} {0:>9}  {'—':<10}  {parsed.metadata.name}"
                    "  (shipped template, not loaded: tousu plans install-templates)"
                )

    def _show(self, options):
        revision = revision_get(options["key"], options["revision"])
        self.stdout.write(
            f"# {revision.plan.key} revision {revision.number}, effective "
            f"{revision.effective_date}, loaded {revision.created_at:%Y-%m-%d %H:%M}"
        )
        self.stdout.write(revision.source)

    def _diff(self, options):
        text = revision_diff(options["key"], options["a"], options["b"])
        self.stdout.write(text or "no differences")

    def _activate(self, options):
        revision = revision_get(options["key"], options["revision"])
        plan_activate(revision=revision, actor=None)
        self.stdout.write(f"{options['key']}: revision {revision.number} is active")

    def _adopt(self, options):
        plan = organisation_plan_adopt(key=options["key"])
        self.stdout.write(f"the organisation now runs {plan.key} ({plan.name})")

    def _install_templates(self, options):
        loaded = templates_install()
        self.stdout.write("loaded: " + (", ".join(loaded) if loaded else "nothing new"))
