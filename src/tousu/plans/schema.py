"""The shape of a plan file (pydantic models). Cross-references are checked in
``validation.py``; the format is documented in ``docs/plans.md``."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tousu.plans.choices import ActionType, DeadlineUnit, Measure, Satisfaction

KEY = r"^[a-z][a-z0-9_]*$"
Key = Field(pattern=KEY, max_length=64)
SYSTEM_ROLES = Literal[
    "intake_clerk",
    "investigator",
    "mediator",
    "recorder",
    "department_handler",
    "department_head",
    "leadership",
    "supervisor",
    "administrator",
]
SCOPES = Literal["any", "complaint_department", "own"]
_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """Holds when the complaint matches every list given (an absent list matches all)
    and reaches every threshold given (amount involved, people injured)."""

    severity: list[str] | None = None
    nature: list[str] | None = None
    category: list[str] | None = None
    channel: list[str] | None = None
    amount_at_least: Decimal | None = Field(default=None, gt=0)
    injured_at_least: int | None = Field(default=None, ge=1)


class Duration(Strict):
    amount: Decimal = Field(gt=0)
    unit: DeadlineUnit


class Ceiling(Duration):
    basis: str = Field(min_length=1, description="the rule that sets the statutory limit")


class WarnAt(Strict):
    fraction: Decimal | None = Field(default=None, gt=0, lt=1)
    before: Duration | None = None


class DeadlineRule(Strict):
    key: str = Key
    label: str
    amount: Decimal = Field(gt=0)
    unit: DeadlineUnit
    # The event the period counts from: "received", "stage_entered" or an action's key.
    start: str = Field(default="stage_entered", alias="from")
    when: Condition | None = None
    closes_on: list[str] | None = None
    warn: WarnAt | None = None
    ceiling: Ceiling | None = None


class Role(Strict):
    label: str
    system_role: SYSTEM_ROLES
    department: str | None = None
    scope: SCOPES = "any"


class Group(Strict):
    label: str
    lead: str | None = None
    # 副组长/副总指挥: they command when the lead is away, and approve what the lead wrote.
    deputies: list[str] = []
    members: list[str] = []
    duties: str = ""


class Category(Strict):
    key: str = Key
    label: str
    children: list[Category] = []


class Choice(Strict):
    key: str = Key
    label: str


class Extension(Strict):
    """What an ``extend`` action does: the running deadline ``deadline`` falls due
    ``amount`` ``unit`` later, once (信访工作条例: +30 days with the head's approval)."""

    deadline: str = Key
    amount: Decimal = Field(gt=0)
    unit: DeadlineUnit


class Action(Strict):
    key: str = Key
    type: ActionType
    label: str
    by: list[str] = Field(min_length=1)
    to: str | None = None
    when: Condition | None = None
    requires: list[str] = []
    on_satisfied: str | None = None
    on_dissatisfied: str | None = None
    measures: list[Measure] | None = None
    # wait_for_complainant: the deadlines it stops (all running ones when absent), e.g.
    # a hearing that is not counted in the review period.
    pauses: list[str] | None = None
    extends: Extension | None = None
    # The matter is concluded (终结): a later complaint on it is not accepted again.
    concludes: bool = False
    # Performing it records that the media (or an authority) is involved: the plan's media
    # trigger weighs the complaint again (e.g. 媒体或政府部门已介入).
    media: bool = False


class Stage(Strict):
    label: str
    status: Literal[
        "registered",
        "assigned",
        "investigating",
        "awaiting_approval",
        "executing",
        "replied",
        "closed",
        "archived",
    ]
    terminal: bool = False
    actions: list[Action] = []
    deadlines: list[DeadlineRule] = []

    def action(self, key: str) -> Action | None:
        """The stage's action ``key``, or None when the stage has none by that key."""
        return next((action for action in self.actions if action.key == key), None)


class Escalation(Strict):
    at: Literal["warning", "breach"]
    deadline: str = "*"
    when: Condition | None = None
    notify: list[str] = []
    raise_severity: bool = False
    reassign_to: str | None = None
    hand_to_group: str | None = None
    # The path the case enters (e.g. the major path after a raise to major): a system
    # transition to this stage, its deadlines opened as for any transition.
    to: str | None = None


class SatisfactionPolicy(Strict):
    scale: list[Satisfaction] = [
        Satisfaction.SATISFIED,
        Satisfaction.BASICALLY_SATISFIED,
        Satisfaction.DISSATISFIED,
    ]


class Appeal(Strict):
    heard_by: list[str] = Field(min_length=1)
    max_rounds: int = Field(default=1, ge=1, le=10)
    deadline: Duration | None = None


class ComplainantPolicy(Strict):
    """What the complainant may do on their own (portal, email, a partner system) in every
    stage that is not terminal: add material (补充材料) and withdraw (撤回投诉, to the
    terminal stage ``withdraw_to``). Satisfaction and appeal are the plan's own actions
    listing the role ``complainant``."""

    material: bool = True
    material_label: str = "补充材料"
    withdraw_to: str | None = None
    withdraw_label: str = "撤回投诉"

    def actions(self) -> list[Action]:
        """The actions this policy adds to each open stage."""
        found = []
        if self.material:
            found.append(
                Action(
                    key="add_material",
                    type=ActionType.ADD_MATERIAL,
                    label=self.material_label,
                    by=["complainant"],
                    requires=["material"],
                )
            )
        if self.withdraw_to:
            found.append(
                Action(
                    key="withdraw",
                    type=ActionType.WITHDRAW,
                    label=self.withdraw_label,
                    by=["complainant"],
                    to=self.withdraw_to,
                    requires=["reason"],
                )
            )
        return found


class FollowUp(Strict):
    after: Duration
    by: list[str] = Field(min_length=1)
    reopen_on_dissatisfied: bool = True
    reopen_to: str | None = None


class PenaltyTrigger(Strict):
    breach: str | None = None
    repeat_complaint: bool = False
    # Performing this action (e.g. 执行结果和处罚结果报送总经理, a fault found) assesses it.
    action: str | None = None


class Penalty(Strict):
    key: str = Key
    label: str
    trigger: PenaltyTrigger
    when: Condition | None = None
    target: str
    amount: Decimal = Field(ge=0)
    # A range (当事人罚款100-200元): the action that triggers it names the fine within it.
    max_amount: Decimal | None = Field(default=None, gt=0)
    # Per complaint item (每件投诉每项内容): the action records how many items.
    per_item: bool = False
    performance: Literal["zero", "management_zero"] | None = None


class Penalties(Strict):
    minimum_per_item: Decimal = Field(default=Decimal(0), ge=0)
    rules: list[Penalty] = []


class Level(Strict):
    key: str = Field(max_length=16)
    label: str
    colour: Literal["red", "orange", "yellow", "blue"] | None = None
    deadline_factor: Decimal = Field(default=Decimal(1), gt=0, le=1)


class MassTrigger(Strict):
    count: int = Field(ge=2)
    within: Duration
    same: list[Literal["category", "merchant", "product", "department", "place"]] = Field(
        min_length=1
    )
    # Texts must also say the same thing (character shingles, estimated Jaccard at least
    # this); 0 groups by the ``same`` fields alone.
    similarity: Decimal = Field(default=Decimal("0.3"), ge=0, le=1)


class EmergencyTrigger(Strict):
    key: str = Key
    label: str
    level: str
    when: Condition | None = None
    mass: MassTrigger | None = None
    media: bool = False
    breach: str | None = None


class EmergencyTask(Strict):
    """A task the response creates for a working group when it reaches a level: due
    ``within`` after activation (or after the level is reached), chased by the worker."""

    key: str = Key
    label: str
    group: str
    levels: list[str] | None = None
    # Only for incidents that match (e.g. the life-safety class's own steps). An incident
    # has a class (category), severity, amount involved and people injured.
    when: Condition | None = None
    # Only once the media or a government department is involved (舆情: a media trigger
    # fired, a linked complaint is marked media-involved, or a media contact is logged).
    media: bool = False
    within: Duration


class Authority(Strict):
    """Whom the response reports upward to (上报), by when after activation; ``levels``,
    ``when`` and ``media`` narrow it as for a task (e.g. 公安 only when people are hurt,
    网信 only for 舆情)."""

    key: str = Key
    label: str
    levels: list[str] | None = None
    when: Condition | None = None
    media: bool = False
    within: Duration


class PeakPeriod(Strict):
    """A dated period of heightened watch (3·15): its own first-contact limit, staffing
    note, and the level a media threat raises to."""

    key: str = Key
    label: str
    start: str = Field(pattern=r"^\d{2}-\d{2}$")
    end: str = Field(pattern=r"^\d{2}-\d{2}$")
    first_contact: Duration | None = None
    staffing: str = ""
    media_level: str | None = None


class Targets(Strict):
    """The response times the plan promises, measured in reviews and drills."""

    acknowledge: Duration | None = None
    classify: Duration | None = None
    activate: Duration | None = None


class Emergency(Strict):
    command_group: str
    # The groups that act under the command group (信息收集组, 现场处置组 …).
    working_groups: list[str] = []
    # Who may activate the plan and change its level; the command group's lead and
    # deputies when absent.
    activated_by: list[str] = []
    # Who may report an event without a complaint (事件报告); any staff when absent.
    reported_by: list[str] = []
    # Event reports that activate at once, without the office → leadership relay.
    immediate: Condition | None = None
    levels: list[Level] = Field(min_length=1)
    triggers: list[EmergencyTrigger] = []
    tasks: list[EmergencyTask] = []
    situation_every: Duration | None = None
    report_to: list[Authority] = []
    peak: list[PeakPeriod] = []
    targets: Targets = Targets()

    def level(self, key: str) -> Level | None:
        return next((level for level in self.levels if level.key == key), None)

    def rank(self, key: str) -> int:
        """Position of level ``key``: 0 is the most serious (levels are listed I first)."""
        keys = [level.key for level in self.levels]
        return keys.index(key) if key in keys else len(keys)


class Confidentiality(Strict):
    """Confidential complaints (保密投诉: state or commercial secrets): who sees and handles
    them besides the leadership (``roles``; the assignee and co-owners always do), who may
    set or clear the flag after registration (``by``), and which natures make a
    complaint confidential by themselves (``natures``, e.g. 涉密)."""

    roles: list[str] = []
    by: list[str] = []
    natures: list[str] = []


# What a KPI indicator measures (see docs/plans.md, "kpi"). Rates are percentages
# (0–100), ``handling_hours`` is average working hours from receipt to closing, and the
# last three are counts in the period.
KPI_RATES = (
    "on_time_rate",
    "closed_rate",
    "satisfaction_rate",
    "resolution_rate",
    "repeat_rate",
    "appeal_rate",
)
KPI_COUNTS = ("penalties", "appeals", "repeats")
KpiMeasure = Literal[
    "on_time_rate",
    "closed_rate",
    "satisfaction_rate",
    "resolution_rate",
    "repeat_rate",
    "appeal_rate",
    "handling_hours",
    "penalties",
    "appeals",
    "repeats",
]


class KpiIndicator(Strict):
    """One line of the KPI standard (考核标准): ``weight`` points, earned in full when the
    measure reaches ``full_at`` and not at all at ``zero_at`` (linear between; a
    ``full_at`` below ``zero_at`` means lower is better), or ``weight`` less ``deduct``
    points per item counted (never below zero)."""

    key: str = Key
    label: str
    # The heading it belongs to (服务响应, 服务规范 …); empty for a flat standard.
    group: str = ""
    description: str = ""
    measure: KpiMeasure
    weight: Decimal = Field(gt=0, le=100)
    full_at: Decimal | None = Field(default=None, ge=0)
    zero_at: Decimal | None = Field(default=None, ge=0)
    deduct: Decimal | None = Field(default=None, gt=0)
    # on_time_rate only: the deadline kinds counted (all of the plan's when absent).
    deadlines: list[str] | None = None


class Kpi(Strict):
    """The plan's KPI standard: indicators whose weights add up to 100."""

    description: str = ""
    indicators: list[KpiIndicator] = Field(min_length=1)


class Metadata(Strict):
    name: str
    organisation_type: str
    legal_basis: list[str] = []
    effective_date: date
    interpreting_body: str
    source: str = ""


class Plan(Strict):
    """A complete plan file."""

    key: str = Key
    metadata: Metadata
    business_hours: list[str] | None = None
    roles: dict[str, Role] = Field(min_length=1)
    groups: dict[str, Group] = {}
    categories: list[Category] = Field(min_length=1)
    severities: list[Choice] = Field(min_length=1)
    natures: list[Choice] = Field(min_length=1)
    channels: list[
        Literal["phone", "walk_in", "letter", "email", "web", "chat", "api", "import"]
    ] = Field(min_length=1)
    initial_stage: str
    stages: dict[str, Stage] = Field(min_length=2)
    escalations: list[Escalation] = []
    satisfaction: SatisfactionPolicy = SatisfactionPolicy()
    appeal: Appeal | None = None
    follow_up: FollowUp | None = None
    penalties: Penalties = Penalties()
    emergency: Emergency | None = None
    # The KPI standard (绩效考核标准) the assessment scores departments and people by.
    kpi: Kpi | None = None
    confidentiality: Confidentiality = Confidentiality()
    # The complainant's own actions in every open stage (portal, email, partner systems).
    complainant: ComplainantPolicy | None = None
    # Reply scripts (话术) for the hotline desk, by category key ("*": every category).
    scripts: dict[str, list[str]] = {}
    messages: dict[str, str] = {}

    @model_validator(mode="after")
    def _complainant_actions(self) -> Plan:
        """Write the complainant policy's actions into each open stage that does not
        define an action of that key itself."""
        if self.complainant is None:
            return self
        extra = self.complainant.actions()
        stages = {
            key: stage
            if stage.terminal
            else stage.model_copy(
                update={
                    "actions": [
                        *stage.actions,
                        *(a for a in extra if stage.action(a.key) is None),
                    ]
                }
            )
            for key, stage in self.stages.items()
        }
        object.__setattr__(self, "stages", stages)
        return self

    def stage(self, key: str) -> Stage:
        """The stage ``key`` (a ``KeyError`` when the plan has none: stage keys a complaint
        carries come from its plan)."""
        return self.stages[key]

    def action(self, stage_key: str, action_key: str) -> Action | None:
        """Action ``action_key`` of stage ``stage_key``, or None when that stage has none."""
        return self.stage(stage_key).action(action_key)

    def action_anywhere(self, key: str) -> Action | None:
        """The first action ``key`` in whichever stage has it, in the plan's order."""
        for stage in self.stages.values():
            action = stage.action(key)
            if action is not None:
                return action
        return None

    def deadline_rules(self) -> dict[str, tuple[str, DeadlineRule]]:
        """Every deadline rule by its key (unique in a plan), with the key of its stage."""
        return {
            rule.key: (stage_key, rule)
            for stage_key, stage in self.stages.items()
            for rule in stage.deadlines
        }

    def deadline_rule(self, key: str) -> DeadlineRule | None:
        """The deadline rule ``key``, or None (the kinds the engine opens itself)."""
        for stage in self.stages.values():
            for rule in stage.deadlines:
                if rule.key == key:
                    return rule
        return None

    def label_of(self, kind: Literal["severities", "natures"], key: str) -> str | None:
        """The plan's label of severity or nature ``key``; None when the plan has none."""
        choices = self.severities if kind == "severities" else self.natures
        return next((choice.label for choice in choices if choice.key == key), None)

    def keys_of(self, kind: Literal["severities", "natures"]) -> list[str]:
        """The keys of the plan's severities (lowest first) or natures."""
        return [
            choice.key for choice in (self.severities if kind == "severities" else self.natures)
        ]

    def concludes(self) -> bool:
        """Whether any action of the plan concludes a matter (信访 终结)."""
        return any(action.concludes for stage in self.stages.values() for action in stage.actions)

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if not _HOURS.match(item):
                raise ValueError("each interval is HH:MM-HH:MM")
        return value
