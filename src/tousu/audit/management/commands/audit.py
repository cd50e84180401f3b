"""``tousu audit verify | seal | anchor``: check, seal and anchor the audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from tousu.audit.services import (
    SEAL_BATCH,
    AuditReport,
    audit_anchor,
    audit_seal,
    audit_verify,
)


class Command(BaseCommand):
    help = "Audit log tools: verify the chains and seals, seal the heads, print an anchor."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser(
            "verify",
            help=_("check every chain, seal and trigger; exit 1 naming the first bad event"),
        )
        verify.add_argument(
            "--anchor",
            metavar="FILE",
            help=_("an anchor printed earlier by `tousu audit anchor`: check it is still held"),
        )
        sub.add_parser("seal", help=_("seal the heads of the chains that moved (the worker does)"))
        sub.add_parser("anchor", help=_("print the latest seal as JSON, to keep elsewhere"))

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "seal":
            self._seal()
        elif action == "anchor":
            self._anchor()
        else:
            self._verify(options.get("anchor"))

    def _seal(self) -> None:
        sealed = 0
        while (seal := audit_seal(limit=SEAL_BATCH)) is not None:
            sealed += 1
            self.stdout.write(
                _("seal #%(seal)s: %(count)s chain heads")
                % {"seal": seal.seq, "count": len(seal.heads)}
            )
            if len(seal.heads) < SEAL_BATCH:
                break
        if not sealed:
            self.stdout.write(_("nothing moved since the last seal"))

    def _anchor(self) -> None:
        anchor = audit_anchor()
        if anchor is None:
            raise CommandError(_("no seal yet: run `tousu audit seal` (the worker seals too)"))
        self.stdout.write(json.dumps(anchor, indent=2, ensure_ascii=False))

    def _verify(self, anchor_path: str | None) -> None:
        anchor = None
        if anchor_path:
            try:
                anchor = json.loads(Path(anchor_path).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(
                    _("cannot read the anchor %(path)s: %(error)s")
                    % {"path": anchor_path, "error": exc}
                ) from exc
            if not isinstance(anchor, dict):
                raise CommandError(_("%(path)s is not an anchor") % {"path": anchor_path})
        report = audit_verify(anchor=anchor)
        for line in _summary(report):
            self.stdout.write(line)
        for problem in report.problems:
            self.stdout.write(_("BAD: %(problem)s") % {"problem": problem})
        if report.first is not None:
            first = report.first
            if first.chain:
                raise CommandError(
                    _("audit log broken: first bad event: chain %(chain)s #%(seq)s — %(problem)s")
                    % {"chain": first.chain, "seq": first.seq, "problem": first}
                )
            raise CommandError(_("audit log broken: %(problem)s") % {"problem": first})
        self.stdout.write(_("audit log intact"))


def _summary(report: AuditReport) -> list[str]:
    lines = [
        _("keyed chains: %(chains)s chains, %(events)s events verified (HMAC-SHA256)")
        % {"chains": report.chains, "events": report.events},
        _("seals: %(seals)s verified (HMAC-SHA256 and Ed25519); %(moved)s chains moved since")
        % {"seals": report.seals, "moved": report.unsealed_chains},
    ]
    if report.legacy_events:
        if report.legacy_sealed:
            lines.append(
                _("legacy chain: %(count)s events verified (SHA-256 without a key), sealed")
                % {"count": report.legacy_events}
            )
        else:
            lines.append(
                _(
                    "legacy chain: %(count)s events verified (SHA-256 without a key),"
                    " not sealed yet: run `tousu audit seal`"
                )
                % {"count": report.legacy_events}
            )
    if report.anchor is not None:
        lines.append(_("anchor: seal #%(seal)s is held") % {"seal": report.anchor})
    if report.late_events:
        lines.append(
            _("%(count)s events written during the check: verified the next time")
            % {"count": report.late_events}
        )
    if not any(problem.kind == "trigger" for problem in report.problems):
        lines.append(_("append-only triggers: in place"))
    return lines
