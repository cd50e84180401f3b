"""``tousu audit verify``: every chain, every seal, the anchor and the triggers.

Reads in an order that tolerates writers running meanwhile: the seal log's head, the
seals up to it, the chain heads, then the events. A head read earlier can only be
behind the events read later, never ahead, so "the chain is shorter than its head (or
its last seal)" is always a deletion, never a race.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Min
from django.utils.translation import gettext as _

from tousu.audit.hashing import (
    GENESIS,
    LEGACY,
    SEAL_CHAIN,
    chain_key,
    event_message,
    legacy_hash,
    seal_message,
    seal_signed_text,
)
from tousu.audit.keys import (
    HmacKeys,
    SigningKeys,
    hmac_keys,
    public_key_from_text,
    public_key_text,
    signature_valid,
    signing_keys,
)
from tousu.audit.models import AuditChain, AuditEvent, AuditSeal
from tousu.audit.triggers import triggers_problems


@dataclass(frozen=True)
class AuditProblem:
    """One thing wrong. ``chain`` and ``seq`` name the first bad event of a chain."""

    kind: str  # event, chain, seal, anchor, trigger
    message: str
    chain: str = ""
    seq: int | None = None
    seal: int | None = None

    def __str__(self) -> str:
        return self.message


@dataclass
class AuditReport:
    events: int = 0  # keyed events verified
    chains: int = 0
    legacy_events: int = 0  # events of the chain written before keyed chains
    legacy_sealed: bool = False
    seals: int = 0
    unsealed_chains: int = 0  # chains whose head moved since the last seal
    late_events: int = 0  # written during the check: verified the next time
    anchor: int | None = None  # the anchor's seal, when one was given and holds
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> AuditProblem | None:
        return self.problems[0] if self.problems else None


# Sealed points: chain key -> {chain_seq: (hash, seal number)}.
Points = dict[str, dict[int, tuple[str, int]]]


@dataclass
class _Walk:
    """One chain being walked, event by event."""

    chain_id: int
    key: str
    head_seq: int
    head_hash: str
    points: dict[int, tuple[str, int]]
    next_seq: int = 1
    prev: str = GENESIS
    bad: bool = False
    beyond_head: bool = False  # events past the head read before them: checked at the end

    def stop(self, report: AuditReport, kind: str, message: str, seq: int) -> None:
        report.problems.append(AuditProblem(kind, message, chain=self.key, seq=seq))
        self.bad = True


def log_verify(*, anchor: Mapping[str, Any] | None = None) -> AuditReport:
    report = AuditReport()
    keys = hmac_keys()
    points = _seals_verify(report, keys, anchor)
    chains = {
        pk: (key, last_seq, last_hash)
        for pk, key, last_seq, last_hash in AuditChain.objects.exclude(key=SEAL_CHAIN).values_list(
            "pk", "key", "last_seq", "last_hash"
        )
    }
    report.unsealed_chains = AuditChain.objects.filter(sealed=False).exclude(key=SEAL_CHAIN).count()
    first_keyed = AuditEvent.objects.exclude(key_id="").aggregate(first=Min("seq"))["first"]
    walked: set[int] = set()
    beyond: dict[int, tuple[str, int]] = {}  # chain id -> (key, last event) past the head

    def finish(walk: _Walk) -> None:
        _chain_end(report, walk)
        if walk.beyond_head:
            beyond[walk.chain_id] = (walk.key, walk.next_seq - 1)

    walk: _Walk | None = None
    events = AuditEvent.objects.order_by("chain_id", "chain_seq").iterator(chunk_size=2000)
    seal_chain = AuditChain.objects.filter(key=SEAL_CHAIN).values_list("pk", flat=True).first()
    for event in events:
        if event.chain_id == seal_chain:
            message = _("event %(event)s sits on the seal log's chain") % {"event": event.seq}
            report.problems.append(
                AuditProblem("event", message, chain=SEAL_CHAIN, seq=event.chain_seq)
            )
            continue
        if event.chain_id not in chains:  # its chain began after the heads were read
            report.late_events += 1
            continue
        if walk is None or walk.chain_id != event.chain_id:
            if walk is not None:
                finish(walk)
            walk = _walk_start(event.chain_id, chains, points)
            walked.add(event.chain_id)
        if not walk.bad:
            _event_check(report, walk, event, keys, first_keyed)
    if walk is not None:
        finish(walk)
    for pk in sorted(chains.keys() - walked):  # chains without a single event left
        finish(_walk_start(pk, chains, points))
    _heads_behind_check(report, beyond)
    known = {key for key, _seq, _hash in chains.values()}
    for key in sorted(points.keys() - known):
        seq, (_hash, seal) = max(points[key].items())
        report.problems.append(
            AuditProblem(
                "chain",
                _("chain %(chain)s, sealed up to #%(seq)s by seal #%(seal)s, is missing")
                % {"chain": key, "seq": seq, "seal": seal},
                chain=key,
                seq=1,
                seal=seal,
            )
        )
    report.chains = sum(1 for key, _seq, _hash in chains.values() if key != LEGACY)
    report.problems.extend(AuditProblem("trigger", message) for message in triggers_problems())
    # Bad events first (the command names the first), then seals, the anchor, triggers.
    report.problems.sort(key=lambda problem: _ORDER[problem.kind])
    return report


_ORDER = {"event": 0, "chain": 0, "seal": 1, "anchor": 2, "trigger": 3}


def _walk_start(chain_id: int, chains: dict[int, tuple[str, int, str]], points: Points) -> _Walk:
    key, head_seq, head_hash = chains[chain_id]
    return _Walk(chain_id, key, head_seq, head_hash, points.get(key, {}))


def _event_check(
    report: AuditReport,
    walk: _Walk,
    event: AuditEvent,
    keys: HmacKeys,
    first_keyed: int | None,
) -> None:
    names = {"chain": walk.key, "seq": event.chain_seq}
    if event.chain_seq != walk.next_seq:
        walk.stop(
            report,
            "event",
            _("chain %(chain)s: event #%(seq)s is missing (deleted)")
            % {"chain": walk.key, "seq": walk.next_seq},
            walk.next_seq,
        )
        return
    if event.prev_hash != walk.prev:
        message = _("chain %(chain)s: event #%(seq)s does not link to the event before it")
        walk.stop(report, "event", message % names, event.chain_seq)
        return
    legacy = walk.key == LEGACY
    if legacy:
        problem = _legacy_problem(walk, event, first_keyed)
    else:
        problem = _keyed_problem(walk, event, keys)
    if problem:
        walk.stop(report, "event", problem % names, event.chain_seq)
        return
    sealed = walk.points.get(event.chain_seq)
    if sealed is not None and sealed[0] != event.hash:
        message = _("chain %(chain)s: event #%(seq)s differs from what seal #%(seal)s recorded")
        walk.stop(report, "event", message % {**names, "seal": sealed[1]}, event.chain_seq)
        return
    if event.chain_seq == walk.head_seq and event.hash != walk.head_hash:
        message = _("chain %(chain)s: its head does not match event #%(seq)s")
        walk.stop(report, "chain", message % names, event.chain_seq)
        return
    walk.next_seq += 1
    walk.prev = event.hash
    if legacy:
        report.legacy_events += 1
    else:
        report.events += 1


def _legacy_problem(walk: _Walk, event: AuditEvent, first_keyed: int | None) -> str:
    if event.key_id or legacy_hash(event) != event.hash:
        return _("chain %(chain)s: event #%(seq)s was changed after it was written")
    if first_keyed is not None and event.seq > first_keyed:
        return _("chain %(chain)s: event #%(seq)s was added after keyed chains began")
    if walk.points and event.chain_seq > max(walk.points):
        return _("chain %(chain)s: event #%(seq)s was added to the sealed, closed legacy chain")
    return ""


def _keyed_problem(walk: _Walk, event: AuditEvent, keys: HmacKeys) -> str:
    if not event.key_id:
        return _("chain %(chain)s: event #%(seq)s has no key id (an unkeyed hash)")
    digest = keys.digest(event.key_id, event_message(event, walk.key))
    if digest is None:
        return _("chain %(chain)s: event #%(seq)s was hashed with a key id that is not configured")
    if digest != event.hash:
        return _("chain %(chain)s: event #%(seq)s was changed after it was written")
    home = chain_key(
        complaint_id=event.complaint_id,
        incident_id=event.incident_id,
        object_type=event.object_type,
        object_id=event.object_id,
    )
    # A shard's events stay where they are if the number of shards changes.
    moved = home.startswith("shard:") and walk.key.startswith("shard:")
    if home != walk.key and not moved:
        return _("chain %(chain)s: event #%(seq)s does not belong on this chain")
    return ""


def _chain_end(report: AuditReport, walk: _Walk) -> None:
    if walk.bad:
        return
    last = walk.next_seq - 1
    names = {"chain": walk.key, "last": last, "missing": last + 1}
    if walk.head_seq > last:
        message = _(
            "chain %(chain)s ends at #%(last)s but its head records #%(head)s:"
            " event #%(missing)s and after are missing"
        )
        walk.stop(report, "chain", message % {**names, "head": walk.head_seq}, last + 1)
        return
    if walk.points:
        sealed_seq = max(walk.points)
        if sealed_seq > last:
            message = _(
                "chain %(chain)s ends at #%(last)s but seal #%(seal)s recorded #%(sealed)s:"
                " event #%(missing)s and after are missing"
            )
            seal = walk.points[sealed_seq][1]
            walk.stop(
                report, "chain", message % {**names, "seal": seal, "sealed": sealed_seq}, last + 1
            )
            return
    walk.beyond_head = last > walk.head_seq
    if walk.key == LEGACY:
        report.legacy_sealed = bool(walk.points)


def _heads_behind_check(report: AuditReport, beyond: dict[int, tuple[str, int]]) -> None:
    """Events past their chain's head: appended during the check, or a head set back.

    Appending moves the head in the event's transaction, so a head read again now has
    caught up with every event read before; one that has not was set back.
    """
    if not beyond:
        return
    heads = dict(AuditChain.objects.filter(pk__in=beyond).values_list("pk", "last_seq"))
    for pk, (key, last) in sorted(beyond.items()):
        head = heads.get(pk, 0)
        if head < last:
            message = _("chain %(chain)s: its head records #%(head)s but events run to #%(last)s")
            report.problems.append(
                AuditProblem(
                    "chain",
                    message % {"chain": key, "head": head, "last": last},
                    chain=key,
                    seq=head + 1,
                )
            )


def _seals_verify(report: AuditReport, keys: HmacKeys, anchor: Mapping[str, Any] | None) -> Points:
    """Walk the seal log up to its head; the sealed points of every seal that holds."""
    head = AuditChain.objects.filter(key=SEAL_CHAIN).values_list("last_seq", "last_hash").first()
    head_seq, head_hash = head if head is not None else (0, GENESIS)
    signing = signing_keys()
    points: Points = {}
    held: dict[int, AuditSeal] = {}
    expected, prev = 1, GENESIS
    broken = False
    for seal in AuditSeal.objects.filter(seq__lte=head_seq).order_by("seq").iterator():
        problem = _seal_problem(seal, expected, prev, keys, signing)
        if problem:
            report.problems.append(
                AuditProblem("seal", problem % {"seal": expected}, seal=expected)
            )
            broken = True
            break
        heads = _seal_heads(seal)
        if heads is None:
            message = _("seal #%(seal)s does not hold a list of chain heads")
            report.problems.append(
                AuditProblem("seal", message % {"seal": seal.seq}, seal=seal.seq)
            )
            broken = True
            break
        for key, seq, hash_ in heads:
            points.setdefault(key, {})[seq] = (hash_, seal.seq)
        held[seal.seq] = seal
        expected, prev = seal.seq + 1, seal.hash
        report.seals += 1
    if not broken and (expected - 1 != head_seq or prev != head_hash):
        message = _("the seal log ends at seal #%(last)s but its head records #%(head)s")
        report.problems.append(
            AuditProblem("seal", message % {"last": expected - 1, "head": head_seq}, seal=expected)
        )
    # Seals past the head read first: made during the check, or the head was set back.
    late = AuditSeal.objects.filter(seq__gt=head_seq).aggregate(last=Max("seq"))["last"]
    if late is not None:
        now = AuditChain.objects.filter(key=SEAL_CHAIN).values_list("last_seq", flat=True).first()
        if (now or 0) < late:
            message = _("seal #%(seal)s lies beyond the seal log's head #%(head)s")
            report.problems.append(
                AuditProblem("seal", message % {"seal": late, "head": now or 0}, seal=late)
            )
    if anchor is not None:
        _anchor_check(report, anchor, held, broken)
    return points


def _seal_problem(
    seal: AuditSeal, expected: int, prev: str, keys: HmacKeys, signing: SigningKeys
) -> str:
    if seal.seq != expected:
        return _("seal #%(seal)s is missing (deleted)")
    if seal.prev_hash != prev:
        return _("seal #%(seal)s does not link to the seal before it")
    digest = keys.digest(seal.key_id, seal_message(seal))
    if digest is None:
        return _("seal #%(seal)s was hashed with a key id that is not configured")
    if digest != seal.hash:
        return _("seal #%(seal)s was changed after it was written")
    public = signing.public(seal.signing_key_id)
    if public is None:
        return _("seal #%(seal)s was signed with a key id that is not configured")
    if not signature_valid(public, seal.signature, seal_signed_text(seal.seq, seal.hash)):
        return _("seal #%(seal)s has an invalid signature")
    return ""


def _seal_heads(seal: AuditSeal) -> list[tuple[str, int, str]] | None:
    heads = seal.heads
    if not isinstance(heads, list):
        return None
    parsed: list[tuple[str, int, str]] = []
    for item in heads:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], int)
            and isinstance(item[2], str)
        ):
            return None
        parsed.append((item[0], item[1], item[2]))
    return parsed


def _anchor_check(
    report: AuditReport, anchor: Mapping[str, Any], held: dict[int, AuditSeal], broken: bool
) -> None:
    number, hash_ = anchor.get("seal"), anchor.get("hash")
    signature, public_text = anchor.get("signature"), anchor.get("public_key")
    if not (
        isinstance(number, int)
        and isinstance(hash_, str)
        and isinstance(signature, str)
        and isinstance(public_text, str)
    ):
        report.problems.append(
            AuditProblem("anchor", _("the anchor file is not an anchor from tousu audit anchor"))
        )
        return
    names = {"seal": number}
    public = public_key_from_text(public_text)
    if public is None or not signature_valid(public, signature, seal_signed_text(number, hash_)):
        message = _("the anchor's signature of seal #%(seal)s is invalid")
        report.problems.append(AuditProblem("anchor", message % names, seal=number))
        return
    seal = held.get(number)
    if seal is None:
        if broken:
            message = _("the anchor's seal #%(seal)s lies beyond the first bad seal")
        else:
            message = _("the anchor's seal #%(seal)s is not in the seal log (cut or rewritten)")
        report.problems.append(AuditProblem("anchor", message % names, seal=number))
        return
    if seal.hash != hash_ or seal.signature != signature:
        message = _("seal #%(seal)s differs from the anchor: the sealed history was rewritten")
        report.problems.append(AuditProblem("anchor", message % names, seal=number))
        return
    ours = signing_keys().public(seal.signing_key_id)
    if ours is not None and public_key_text(ours) != public_text:
        message = _("the anchor's public key is not the signing key of seal #%(seal)s")
        report.problems.append(AuditProblem("anchor", message % names, seal=number))
        return
    report.anchor = number
