"""What the :class:`~conferral.Issuer` returns: typed, read-only objects over the JSON the Rust
library produces. Each has ``to_dict()``, which gives that JSON back unchanged (timestamps as
RFC 3339 text, dates as ``YYYY-MM-DD``), for logging or for handing on to another tool.

Times are timezone-aware :class:`datetime.datetime` values in UTC; issue and expiry dates are
:class:`datetime.date` values.
"""
import copy
import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from . import Finding, Report

__all__ = [
    "Batch", "Change", "Credential", "CredentialDetail", "Delivery", "DeliveryCounts",
    "DeliveryRun", "Email", "Event", "ImportResult", "PublishResult", "Recipient", "Status",
    "Correction", "CorrectResult", "DiscardResult",
]

_FRACTION = re.compile(r"\.(\d+)")


def _time(text: Optional[str]) -> Optional[_dt.datetime]:
    """An RFC 3339 timestamp as the library writes it (``Z``, up to nanoseconds), in UTC.
    Python keeps microseconds, so the digits past the sixth are dropped."""
    if text is None:
        return None
    value = text.replace("Z", "+00:00").replace("z", "+00:00")
    value = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], value, count=1)
    return _dt.datetime.fromisoformat(value).astimezone(_dt.timezone.utc)


def _required_time(data: Mapping[str, Any], key: str) -> _dt.datetime:
    value = _time(data.get(key))
    if value is None:
        raise ValueError(f"the library's JSON has no {key!r} timestamp")
    return value


def _date(text: Optional[str]) -> Optional[_dt.date]:
    return None if text is None else _dt.date.fromisoformat(text)


class _FromDict:
    """Keeps the JSON an object was built from, so that ``to_dict()`` returns it exactly."""

    _raw: Dict[str, Any]

    def to_dict(self) -> Dict[str, Any]:
        """The object as the library's JSON."""
        return copy.deepcopy(self._raw)

    def _keep(self, raw: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_raw", dict(raw))


@dataclass(frozen=True)
class Recipient(_FromDict):
    """Who a credential is for."""

    name: str
    email: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Recipient":
        made = cls(name=data["name"], email=data["email"])
        made._keep(data)
        return made


@dataclass(frozen=True)
class Change(_FromDict):
    """One field's change in a credential's history (``old`` is ``None`` when it was set)."""

    field: str
    old: Optional[str]
    new: Optional[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Change":
        made = cls(field=data["field"], old=data.get("from"), new=data.get("to"))
        made._keep(data)
        return made


@dataclass(frozen=True)
class Event(_FromDict):
    """An entry of a credential's history: ``created``, ``amended``, ``replaced``,
    ``published``, ``revoked``, ``expired`` or ``corrected`` (``reason`` names the
    correction roster's row), by whom and when."""

    event: str
    actor: str
    at: _dt.datetime
    changes: List[Change] = field(default_factory=list)
    reason: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Event":
        made = cls(
            event=data["event"],
            actor=data["actor"],
            at=_required_time(data, "at"),
            changes=[Change.from_dict(c) for c in data.get("changes", [])],
            reason=data.get("reason"),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Credential(_FromDict):
    """A credential: its unique ``id`` (the one in its link), state (``draft``,
    ``published``, ``revoked``, ``expired``), recipient, dates, custom attributes and history."""

    id: str
    group: str
    batch: Optional[str]
    state: str
    recipient: Recipient
    attributes: Dict[str, Any]
    issued_on: Optional[_dt.date]
    expires_on: Optional[_dt.date]
    history: List[Event]
    group_version: Optional[int] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Credential":
        made = cls(
            id=data["id"],
            group=data["group"],
            batch=data.get("batch"),
            state=data["state"],
            recipient=Recipient.from_dict(data["recipient"]),
            attributes=dict(data.get("attributes", {})),
            issued_on=_date(data.get("issued_on")),
            expires_on=_date(data.get("expires_on")),
            history=[Event.from_dict(e) for e in data.get("history", [])],
            group_version=data.get("group_version"),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class StoredGroup(_FromDict):
    """A version of a group kept in the store: its ``key``, its ``version`` (1 for the first
    saved, one more for each change) and the ``group`` (a :class:`conferral.Group`)."""

    key: str
    version: int
    group: Any

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StoredGroup":
        from . import Group

        made = cls(key=data["key"], version=int(data["version"]), group=Group.from_dict(data["group"]))
        made._keep(data)
        return made


@dataclass(frozen=True)
class Email(_FromDict):
    """A rendered email: recipient, subject, and the HTML and plain-text bodies."""

    to_name: str
    to_email: str
    subject: str
    html: str
    text: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Email":
        made = cls(
            to_name=data["to_name"],
            to_email=data["to_email"],
            subject=data["subject"],
            html=data["html"],
            text=data["text"],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Delivery(_FromDict):
    """One email in the outbox and where its delivery stands: ``state`` is ``pending``,
    ``sending``, ``sent``, ``failed_permanent``, ``failed_exhausted``, ``unknown`` (the
    server may or may not have taken it: check before you resend) or ``bounced`` (taken,
    then reported undeliverable or unwanted: see :meth:`Issuer.process_bounces`)."""

    id: str
    credential: str
    kind: str
    message_id: str
    email: Email
    state: str
    attempts: int
    queued_at: _dt.datetime
    next_attempt_at: Optional[_dt.datetime]
    last_attempt_at: Optional[_dt.datetime]
    sent_at: Optional[_dt.datetime]
    last_result: Optional[str]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Delivery":
        made = cls(
            id=data["id"],
            credential=data["credential"],
            kind=data["kind"],
            message_id=data["message_id"],
            email=Email.from_dict(data["email"]),
            state=data["state"],
            attempts=data["attempts"],
            queued_at=_required_time(data, "queued_at"),
            next_attempt_at=_time(data.get("next_attempt_at")),
            last_attempt_at=_time(data.get("last_attempt_at")),
            sent_at=_time(data.get("sent_at")),
            last_result=data.get("last_result"),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class CredentialDetail(_FromDict):
    """A credential with the deliveries of its emails, as :meth:`Issuer.show` returns it."""

    credential: Credential
    deliveries: List[Delivery]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CredentialDetail":
        made = cls(
            credential=Credential.from_dict(data["credential"]),
            deliveries=[Delivery.from_dict(d) for d in data.get("deliveries", [])],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Batch(_FromDict):
    """One imported file: its fingerprint (the group and the file's bytes), and how many rows
    became drafts, replaced earlier ones, or were refused."""

    id: str
    group: str
    fingerprint: str
    file_name: Optional[str]
    created_at: _dt.datetime
    actor: str
    rows: int
    created: int
    replaced: int
    rejected: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Batch":
        made = cls(
            id=data["id"],
            group=data["group"],
            fingerprint=data["fingerprint"],
            file_name=data.get("file_name"),
            created_at=_required_time(data, "created_at"),
            actor=data["actor"],
            rows=data["rows"],
            created=data["created"],
            replaced=data["replaced"],
            rejected=data["rejected"],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Refused(_FromDict):
    """A credential an operation left as it was, and why: a draft whose email cannot be
    rendered (publish), a draft named for export, a draft or changed credential named for
    revocation."""

    id: str
    code: str
    message: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Refused":
        made = cls(id=data["id"], code=data["code"], message=data["message"])
        made._keep(data)
        return made


@dataclass(frozen=True)
class PublishResult(_FromDict):
    """The ids published now, those that already were (publishing is idempotent), and the
    drafts left alone because their email cannot be rendered (the rest is published)."""

    published: List[str]
    already_published: List[str]
    refused: List[Refused]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PublishResult":
        made = cls(
            published=list(data["published"]),
            already_published=list(data["already_published"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class ExportResult(_FromDict):
    """The credentials signed and written, and those named that have no signed credential
    (drafts), each with the reason."""

    exported: List[str]
    refused: List[Refused]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ExportResult":
        made = cls(
            exported=list(data["exported"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class CertificatesResult(_FromDict):
    """The credentials whose certificates were written into the zip, and those named that
    have none (drafts), each with the reason."""

    written: List[str]
    refused: List[Refused]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CertificatesResult":
        made = cls(
            written=list(data["written"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class NoticeResult(_FromDict):
    """Follow-up emails (notices, reminders) queued now by outbox id, the credentials that
    had theirs queued before (nothing is queued twice), and those left without one, each
    with the reason."""

    queued: List[str]
    already_queued: List[str]
    refused: List[Refused]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "NoticeResult":
        made = cls(
            queued=list(data["queued"]),
            already_queued=list(data["already_queued"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class RevokeResult(_FromDict):
    """The credentials revoked now, those that already were, and those left as they were
    (drafts, or changed meanwhile), each with the reason; and the revocation notices queued
    when they were asked for."""

    revoked: List[str]
    already_revoked: List[str]
    refused: List[Refused]
    notices: Optional[NoticeResult] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RevokeResult":
        notices = data.get("notices")
        made = cls(
            revoked=list(data["revoked"]),
            already_revoked=list(data["already_revoked"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
            notices=None if notices is None else NoticeResult.from_dict(notices),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class ExpireResult(_FromDict):
    """A daily expiry run: the date taken as today, the credentials marked expired now,
    their expiry notices, and the warnings before expiry queued."""

    today: _dt.date
    expired: List[str]
    expired_notices: NoticeResult
    warnings: NoticeResult

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ExpireResult":
        made = cls(
            today=_dt.date.fromisoformat(data["today"]),
            expired=list(data["expired"]),
            expired_notices=NoticeResult.from_dict(data["expired_notices"]),
            warnings=NoticeResult.from_dict(data["warnings"]),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Correction(_FromDict):
    """One credential a correction changed (or, in a dry run, would change): the roster
    ``row`` that named it, its ``state`` (kept: ``draft`` or ``published``), each changed
    field as ``old`` -> ``new``, and whether its recipient is emailed again."""

    id: str
    row: int
    state: str
    changes: List[Change]
    notified: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Correction":
        made = cls(
            id=data["id"],
            row=int(data["row"]),
            state=data["state"],
            changes=[Change.from_dict(c) for c in data.get("changes", [])],
            notified=bool(data["notified"]),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class GroupImport(_FromDict):
    """One group's share of a roster for several groups: the ``group`` key and its
    import's ``outcome``."""

    group: str
    outcome: "ImportResult"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GroupImport":
        made = cls(group=data["group"], outcome=ImportResult.from_dict(data["outcome"]))
        made._keep(data)
        return made


@dataclass(frozen=True)
class GroupsImportResult(_FromDict):
    """A roster for several groups: the group ``column``'s letter, the data ``rows``, each
    group's import (``imports``), rows naming no stored group (``findings``,
    ``unknown_group``), and whether it was a ``dry_run``."""

    column: str
    rows: int
    imports: List[GroupImport]
    findings: List["Finding"]
    dry_run: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "GroupsImportResult":
        from . import Finding, _known

        made = cls(
            column=data["column"],
            rows=int(data["rows"]),
            imports=[GroupImport.from_dict(i) for i in data.get("imports", [])],
            findings=[Finding(**_known(Finding, f)) for f in data.get("findings", [])],
            dry_run=bool(data["dry_run"]),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class RevokeRosterResult(_FromDict):
    """The outcome of a revocation roster: the ``group``, its data ``rows``, how rows named
    their credential (``matched_by``: ``credential_id`` or ``email``), the credentials
    ``revoked`` (in a dry run: that would be), ``already_revoked`` and ``refused`` (drafts),
    the revocation ``notices`` when asked for, rows naming no credential as ``findings``,
    and whether it was a ``dry_run``."""

    group: str
    rows: int
    matched_by: str
    revoked: List[str]
    already_revoked: List[str]
    refused: List[Refused]
    notices: Optional[NoticeResult]
    findings: List["Finding"]
    dry_run: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RevokeRosterResult":
        from . import Finding, _known

        notices = data.get("notices")
        made = cls(
            group=data["group"],
            rows=int(data["rows"]),
            matched_by=data["matched_by"],
            revoked=list(data["revoked"]),
            already_revoked=list(data["already_revoked"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
            notices=None if notices is None else NoticeResult.from_dict(notices),
            findings=[Finding(**_known(Finding, f)) for f in data.get("findings", [])],
            dry_run=bool(data["dry_run"]),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class CorrectResult(_FromDict):
    """The outcome of a correction roster: the ``group``, its data ``rows``, how rows named
    their credential (``matched_by``: ``credential_id`` or ``email``), the credentials
    ``corrected`` and ``unchanged``, how many rows were ``refused`` (their errors are in
    ``findings``, with warnings of applied rows), and whether it was a ``dry_run``."""

    group: str
    rows: int
    matched_by: str
    corrected: List[Correction]
    unchanged: List[str]
    refused: int
    findings: List["Finding"]
    dry_run: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CorrectResult":
        from . import Finding, _known

        made = cls(
            group=data["group"],
            rows=int(data["rows"]),
            matched_by=data["matched_by"],
            corrected=[Correction.from_dict(c) for c in data.get("corrected", [])],
            unchanged=list(data.get("unchanged", [])),
            refused=int(data["refused"]),
            findings=[Finding(**_known(Finding, f)) for f in data.get("findings", [])],
            dry_run=bool(data["dry_run"]),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class DiscardResult(_FromDict):
    """The drafts removed (in a dry run: that would be), and the credentials selected that
    are not drafts, each with the reason."""

    discarded: List[str]
    refused: List[Refused]
    dry_run: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DiscardResult":
        made = cls(
            discarded=list(data["discarded"]),
            refused=[Refused.from_dict(r) for r in data.get("refused", [])],
            dry_run=bool(data["dry_run"]),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class ImportResult(_FromDict):
    """The outcome of an import: the batch, the file's report, findings against credentials
    already stored (a recipient issued before, say), the ids created and replaced, whether this
    very file was imported before (then nothing is created), and the publish when asked for."""

    batch: Batch
    report: "Report"
    findings: List["Finding"]
    created: List[str]
    replaced: List[str]
    already_imported: bool
    published: Optional[PublishResult]
    dry_run: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ImportResult":
        from . import Finding, Report, _known

        published = data.get("published")
        made = cls(
            batch=Batch.from_dict(data["batch"]),
            report=Report(copy.deepcopy(data["report"])),
            findings=[Finding(**_known(Finding, f)) for f in data.get("findings", [])],
            created=list(data["created"]),
            replaced=list(data["replaced"]),
            already_imported=bool(data["already_imported"]),
            published=None if published is None else PublishResult.from_dict(published),
            dry_run=bool(data.get("dry_run", False)),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class DeliveryCounts(_FromDict):
    """What one delivery run did with the emails it attempted."""

    attempted: int
    sent: int
    deferred: int
    failed_permanent: int
    failed_exhausted: int
    unknown: int
    #: Sent, but the lease ran out before the outcome was recorded (another run had marked
    #: the email ``unknown``, and it stays so).
    lease_lost: int = 0
    #: Claimed and given back unsent: the lease was too short to send in.
    released: int = 0
    #: Claimed and not sent: the address is on the suppression list (the email is settled
    #: ``failed_permanent``, its result saying why). Not counted in ``attempted``.
    suppressed: int = 0
    #: Why the run stopped before trying every due email (an SMTP session that could not be
    #: opened: no connection, a refused certificate or login), or ``None`` when it ran through.
    stopped: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DeliveryCounts":
        counts = {
            name: int(data.get(name, 0)) for name in cls.__dataclass_fields__ if name != "stopped"
        }
        stopped = data.get("stopped")
        made = cls(**counts, stopped=None if stopped is None else str(stopped))
        made._keep(data)
        return made


@dataclass(frozen=True)
class DeliveryRun(_FromDict):
    """A delivery run: emails an interrupted earlier run had left (now ``unknown``), and the
    counts of this one."""

    recovered: int
    delivery: DeliveryCounts

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "DeliveryRun":
        made = cls(recovered=int(data["recovered"]), delivery=DeliveryCounts.from_dict(data["delivery"]))
        made._keep(data)
        return made


@dataclass(frozen=True)
class LeaseHolder(_FromDict):
    """A delivery worker holding emails it is sending, and when the last lease runs out."""

    worker: str
    messages: int
    until: _dt.datetime

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "LeaseHolder":
        made = cls(worker=data["worker"], messages=int(data["messages"]), until=_required_time(data, "until"))
        made._keep(data)
        return made


@dataclass(frozen=True)
class Status(_FromDict):
    """How many credentials are in each state, how many emails in each delivery state and
    when the oldest of each was queued, who holds emails being sent, and how many damaged
    emails were set aside."""

    credentials: Dict[str, int]
    deliveries: Dict[str, int]
    oldest: Dict[str, _dt.datetime]
    leases: List[LeaseHolder]
    set_aside: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Status":
        made = cls(
            credentials=dict(data["credentials"]),
            deliveries=dict(data["deliveries"]),
            oldest={state: _required_time(data["oldest"], state) for state in data.get("oldest", {})},
            leases=[LeaseHolder.from_dict(h) for h in data.get("leases", [])],
            set_aside=int(data.get("set_aside", 0)),
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Suppression(_FromDict):
    """An address on the suppression list: no email is sent to it. ``reason`` is
    ``hard_bounce``, ``complaint`` or ``manual``; ``detail`` says what reported it."""

    email: str
    reason: str
    at: _dt.datetime
    detail: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Suppression":
        made = cls(email=data["email"], reason=data["reason"], at=_required_time(data, "at"), detail=data.get("detail"))
        made._keep(data)
        return made


@dataclass(frozen=True)
class BounceReport(_FromDict):
    """One bounce or complaint report and what it did. ``effect`` is ``bounced``,
    ``already_bounced``, ``suppressed``, ``soft_bounce``, ``delayed``, ``no_change``,
    ``unmatched`` (about no email sent from this store) or ``unreadable`` (``error`` says
    why); ``verdict`` is ``hard_bounce``, ``soft_bounce``, ``complaint``, ``delayed``,
    ``delivered`` or ``unclear``."""

    source: str
    effect: str
    newly_suppressed: bool
    kind: Optional[str] = None
    verdict: Optional[str] = None
    message_id: Optional[str] = None
    credential: Optional[str] = None
    recipient: Optional[str] = None
    status: Optional[str] = None
    diagnostic: Optional[str] = None
    state: Optional[str] = None
    error: Optional[str] = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BounceReport":
        optional = ("kind", "verdict", "message_id", "credential", "recipient", "status", "diagnostic", "state", "error")
        made = cls(
            source=data["source"],
            effect=data["effect"],
            newly_suppressed=bool(data["newly_suppressed"]),
            **{name: data.get(name) for name in optional},
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class BounceRun(_FromDict):
    """What :meth:`Issuer.process_bounces` did: each report in order, and how many had
    each effect (every effect present)."""

    dry_run: bool
    counts: Dict[str, int]
    reports: List[BounceReport]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BounceRun":
        made = cls(
            dry_run=bool(data["dry_run"]),
            counts={k: int(v) for k, v in data["counts"].items()},
            reports=[BounceReport.from_dict(r) for r in data["reports"]],
        )
        made._keep(data)
        return made


@dataclass(frozen=True)
class Claimed(_FromDict):
    """An email claimed for sending by :meth:`Issuer.next_delivery`: send ``outgoing`` as you
    like (an asyncio task, a thread), then give it back with :meth:`Issuer.settle_delivery`."""

    id: str
    #: The message to send: ``to``, ``from`` (each ``{"name", "email"}``), ``subject``,
    #: ``html``, ``text`` and ``message_id``.
    outgoing: Dict[str, Any]
    lease_until: _dt.datetime

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Claimed":
        lease = data["message"].get("lease") or {}
        made = cls(id=data["message"]["id"], outgoing=dict(data["outgoing"]), lease_until=_required_time(lease, "until"))
        made._keep(data)
        return made


@dataclass(frozen=True)
class Settlement(_FromDict):
    """Where a settled email landed: its state, and whether the lease had run out (then the
    outcome was not written over what another run recorded)."""

    state: str
    lease_lost: bool

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Settlement":
        made = cls(state=data["state"], lease_lost=bool(data["lease_lost"]))
        made._keep(data)
        return made


@dataclass(frozen=True)
class Check(_FromDict):
    """One check of a credential's verification: what (``shape``, ``proof``, ``issuer``,
    ``dates``, ``status``), how it came out (``passed``, ``failed``, ``skipped``) and why."""

    check: str
    outcome: str
    reason: str

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Check":
        made = cls(check=data["check"], outcome=data["outcome"], reason=data["reason"])
        made._keep(data)
        return made


@dataclass(frozen=True)
class Verification(_FromDict):
    """Whether a signed credential is valid (no check failed), and every check."""

    valid: bool
    checks: List[Check]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Verification":
        made = cls(valid=bool(data["valid"]), checks=[Check.from_dict(c) for c in data["checks"]])
        made._keep(data)
        return made

    def failures(self) -> List[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.outcome == "failed"]


@dataclass(frozen=True)
class BatchStats(_FromDict):
    """The figures of one group's batch: credentials issued, emails delivered and failed,
    pages viewed (``views`` once per visitor a day, ``viewed`` credentials), downloads,
    LinkedIn shares, checks of signed documents and revocations; rates are ``None`` before
    anything is issued."""

    group: str
    batch: str
    issued: int
    delivered: int
    failed: int
    delivery_rate: Optional[float]
    views: int
    viewed: int
    view_rate: Optional[float]
    downloads: int
    shares: int
    verifications: int
    revoked: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BatchStats":
        made = cls(**{f: data[f] for f in cls.__dataclass_fields__})
        made._keep(data)
        return made


@dataclass(frozen=True)
class Stats(_FromDict):
    """What :meth:`Issuer.stats` gives: the figures per group and batch, and the events of
    each kind per day (``daily``: a list of ``(date, {kind: count})``)."""

    batches: List[BatchStats]
    daily: List[Tuple[_dt.date, Dict[str, int]]]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Stats":
        made = cls(
            batches=[BatchStats.from_dict(b) for b in data["batches"]],
            daily=[(_dt.date.fromisoformat(d["day"]), dict(d["events"])) for d in data["daily"]],
        )
        made._keep(data)
        return made

    def frame(self) -> Any:
        """The figures per group and batch as a pandas DataFrame indexed by group and batch
        (needs pandas)."""
        pd = _pandas()
        columns = [f for f in BatchStats.__dataclass_fields__]
        frame = pd.DataFrame([[getattr(b, c) for c in columns] for b in self.batches], columns=columns)
        return frame.set_index(["group", "batch"])

    def daily_frame(self) -> Any:
        """The events of each kind per day as a pandas DataFrame indexed by day, one column
        per kind, zeros where none (needs pandas)."""
        pd = _pandas()
        frame = pd.DataFrame([counts for _, counts in self.daily], index=[day for day, _ in self.daily])
        frame.index.name = "day"
        return frame.fillna(0).astype("int64")


def _pandas() -> Any:
    try:
        import pandas  # type: ignore[import-untyped]
    except ImportError as e:
        raise ImportError("this needs pandas: pip install 'conferral[pandas]'") from e
    return pandas


def _pyarrow() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped]
    except ImportError as e:
        raise ImportError("this needs pyarrow (pandas reads records through it): pip install 'conferral[pandas]'") from e
    return pyarrow


def _polars() -> Any:
    try:
        import polars
    except ImportError as e:
        raise ImportError("this needs polars: pip install 'conferral[polars]'") from e
    return polars
