"""The issuing flow from Python: stores, mailers, the guarantees, errors carried out."""
import datetime
import json

import pytest

import conferral

GROUP = {"name": "Bootcamp 2026", "attributes": [{"key": "grade", "type": "enum", "values": ["Pass", "Merit"]}]}
ROSTER = b"Name,Email,Grade\nAna Lopez,ana@example.org,Merit\nBo Chen,bo@,Pass\nCy Diaz,cy@example.org,pass\n"


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def issuer(request, tmp_path):
    if request.param == "postgres":
        store = request.getfixturevalue("postgres_store")
    else:
        store = conferral.MemoryStore() if request.param == "memory" else conferral.SqliteStore(tmp_path / "store.db")
    return conferral.Issuer(store, base_url="https://credentials.example.org/c", sender="Academy <academy@example.org>")


def test_a_roster_becomes_drafts_once(issuer):
    out = issuer.import_roster(ROSTER, GROUP)
    assert (out.batch.created, out.batch.rejected) == (2, 1)
    assert out.report.findings[0].cell == "B3"
    again = issuer.import_roster(ROSTER, GROUP)
    assert again.already_imported and again.created == []
    drafts = issuer.drafts()
    assert [d.recipient.name for d in drafts] == ["Ana Lopez", "Cy Diaz"]
    assert issuer.status().credentials["draft"] == 2


def test_edit_writes_python_values_as_roster_cells(issuer):
    group = {
        "name": "Hours",
        "attributes": [
            {"key": "hours", "type": "number"},
            {"key": "verified", "type": "boolean"},
            {"key": "expires_on", "type": "date"},
        ],
    }
    ana = issuer.import_roster(b"Name,Email,Hours,Expires On\nAna,ana@example.org,3,2027-01-01\n", group).created[0]
    amended = issuer.edit(ana, hours=12.5, verified=True, expires_on=None)
    assert amended.attributes["hours"] == 12.5 and amended.attributes["verified"] is True
    assert amended.expires_on is None
    dated = issuer.edit(ana, expires_on=datetime.date(2028, 2, 29))
    assert dated.expires_on == datetime.date(2028, 2, 29)
    with pytest.raises(conferral.InvalidValueError) as e:
        issuer.edit(ana, hours=float("nan"))
    assert e.value.kind == "invalid_value"


def test_drafts_are_amended_previewed_and_published(issuer):
    out = issuer.import_roster(ROSTER, GROUP)
    ana = out.created[0]
    amended = issuer.edit(ana, name="Ana López", grade="pass")
    assert amended.recipient.name == "Ana López" and amended.attributes["grade"] == "Pass"
    with pytest.raises(conferral.InvalidValueError) as e:
        issuer.edit(ana, email="nope")
    assert e.value.kind == "invalid_value"
    email = issuer.preview(ana)
    assert "Dear Ana López" in email.text and f"/c/{ana}" in email.text
    first = issuer.publish(all=True)
    assert sorted(first.published) == sorted(out.created)
    second = issuer.publish([ana])
    assert (second.published, second.already_published) == ([], [ana])
    assert second.to_dict() == {"published": [], "already_published": [ana], "refused": []}
    with pytest.raises(conferral.IllegalTransitionError):
        issuer.edit(ana, name="Too Late")
    with pytest.raises(conferral.NotFoundError):
        issuer.show("missing")
    with pytest.raises(ValueError):
        issuer.publish()


def test_delivery_to_files_and_to_a_python_mailer(issuer, tmp_path):
    issuer.import_roster(ROSTER, GROUP, publish=True)
    sent = issuer.deliver(conferral.FileMailer(tmp_path / "outbox"))
    assert sent.delivery.sent == 2
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).delivery.attempted == 0

    ids = [c.id for c in issuer.credentials(state="published")]
    issuer.resend(ids)

    class Collect:
        def __init__(self):
            self.messages = []

        def send(self, message):
            self.messages.append(message)
            if message["to"]["email"] == "cy@example.org":
                return {"outcome": "rejected", "code": 550, "reply": "no such user"}
            return None

    collect = Collect()
    report = issuer.deliver(collect).delivery
    assert (report.sent, report.failed_permanent) == (1, 1)
    assert {m["to"]["email"] for m in collect.messages} == {"ana@example.org", "cy@example.org"}
    assert collect.messages[0]["message_id"].endswith("@example.org>")
    states = {issuer.show(i).deliveries[0].state for i in ids}
    assert states == {"sent", "failed_permanent"}


def test_a_python_mailers_exception_comes_out_unchanged(issuer):
    issuer.import_roster(ROSTER, GROUP, publish=True)

    class Boom(Exception):
        pass

    error = Boom("relay down")

    class Failing:
        calls = 0

        def send(self, message):
            Failing.calls += 1
            raise error

    with pytest.raises(Boom) as raised:
        issuer.deliver(Failing())
    assert raised.value is error
    assert Failing.calls == 1
    # The message it failed on is deferred, not lost, and nothing else was attempted.
    assert issuer.status().deliveries["pending"] == 2


def test_an_smtp_session_that_cannot_open_stops_the_run_with_its_reason(issuer, tmp_path):
    issuer.import_roster(ROSTER, GROUP, publish=True)
    # Nothing listens on port 1 of loopback.
    run = issuer.deliver(conferral.SmtpMailer("smtp://127.0.0.1:1?timeout=5"))
    assert (run.delivery.attempted, run.delivery.deferred, run.delivery.sent) == (1, 1, 0)
    assert run.delivery.stopped.startswith("no SMTP session with 127.0.0.1:1")
    assert issuer.status().deliveries["pending"] == 2
    # The untried one is still due; the deferred one waits for its retry time.
    through = issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).delivery
    assert (through.sent, through.stopped) == (1, None)


def test_confirmed_mappings_are_learned_and_forgotten(issuer):
    first = b"Name,Contact,Notes,Grade\nAna Lopez,ana@example.org,vegan,Merit\n"
    mapping = {"columns": [{"column": "B", "attribute": "email"}, {"column": "C", "attribute": None}]}
    issuer.import_roster(first, GROUP, mapping=mapping)
    assert issuer.mappings(GROUP) == {"contact": "email", "notes": None}
    second = issuer.import_roster(b"Name,Contact,Notes,Grade\nBo Chen,bo@example.org,x,Pass\n", GROUP)
    assert [(c.attribute, c.tier) for c in second.report.columns][:2] == [("name", "exact"), ("email", "saved")]
    assert issuer.forget_mappings(GROUP, ["Contact"]) == 1
    assert issuer.mappings(GROUP) == {"notes": None}
    assert issuer.forget_mappings(GROUP) == 1
    assert issuer.mappings(GROUP) == {}


def test_progress_of_import_and_publish(issuer):
    steps = []
    issuer.import_roster(ROSTER, GROUP, publish=True, progress=lambda step, done, total: steps.append(step))
    assert {"creating", "storing", "rendering"} <= set(steps)


def sqlite_issuer(tmp_path):
    store = conferral.SqliteStore(tmp_path / "store.db")
    return conferral.Issuer(store, base_url="https://credentials.example.org/c", sender="Academy <academy@example.org>")


def test_an_asyncio_host_drives_delivery_itself(tmp_path):
    import asyncio

    issuer = sqlite_issuer(tmp_path)
    issuer.import_roster(ROSTER, GROUP, publish=True)
    sent = []

    async def worker(name):
        while (claimed := issuer.next_delivery(name, lease_secs=60)) is not None:
            await asyncio.sleep(0.01)  # the host's own send, without a thread per email
            sent.append(claimed.outgoing["to"]["email"])
            settled = issuer.settle_delivery(claimed, "250 2.0.0 queued")
            assert (settled.state, settled.lease_lost) == ("sent", False)

    async def both():
        await asyncio.gather(worker("py:1"), worker("py:2"))

    asyncio.run(both())
    assert sorted(sent) == ["ana@example.org", "cy@example.org"]
    status = issuer.status()
    assert status.deliveries["sent"] == 2 and status.leases == []


def test_a_claim_is_held_under_a_lease_until_settled_or_released(tmp_path):
    issuer = sqlite_issuer(tmp_path)
    issuer.import_roster(ROSTER, GROUP, publish=True)
    claimed = issuer.next_delivery("host:7:0", lease_secs=120)
    assert claimed is not None and claimed.outgoing["message_id"].endswith("@example.org>")
    assert claimed.lease_until > datetime.datetime.now(datetime.timezone.utc)
    status = issuer.status()
    assert [(h.worker, h.messages) for h in status.leases] == [("host:7:0", 1)]
    assert status.deliveries["sending"] == 1 and "sending" in status.oldest
    # Another run starting now leaves the claim alone: its lease still runs.
    assert issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).recovered == 0
    assert issuer.release_delivery(claimed).state == "pending"
    rejected = issuer.next_delivery("host:7:0")
    assert rejected is not None
    settled = issuer.settle_delivery(rejected, {"outcome": "rejected", "code": 550, "reply": "no such user"})
    assert settled.state == "failed_permanent"
    with pytest.raises(TypeError):
        issuer.settle_delivery(rejected, 42)


def test_several_workers_deliver_at_once(tmp_path):
    issuer = sqlite_issuer(tmp_path)
    roster = "Name,Email\n" + "".join(f"Person {i},p{i}@example.org\n" for i in range(40))
    issuer.import_roster(roster.encode(), {"name": "Many"}, publish=True)
    run = issuer.deliver(conferral.FileMailer(tmp_path / "outbox"), workers=4)
    assert (run.delivery.sent, run.delivery.lease_lost) == (40, 0)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 40
    class Quiet:
        def send(self, message):
            return None

    # A Python mailer is one object: it takes one worker.
    with pytest.raises(ValueError):
        issuer.deliver(Quiet(), workers=2)


def test_published_credentials_are_exported_revoked_and_listed(issuer, tmp_path):
    key = tmp_path / "key.json"
    did = conferral.new_key(key)
    out = issuer.import_roster(ROSTER, GROUP, publish=True)
    ana, cy = out.created
    exported = issuer.export(tmp_path / "signed", key=key, all=True)
    assert (exported.exported, exported.refused) == ([ana, cy], [])
    on_disk = json.loads((tmp_path / "signed" / f"{ana}.json").read_text(encoding="utf-8"))
    assert on_disk == issuer.signed_credential(ana, key=key)
    assert on_disk["issuer"]["id"] == did
    assert conferral.verify(on_disk).valid

    with pytest.raises(conferral.InvalidValueError):
        issuer.revoke([cy], reason=" ")
    revoked = issuer.revoke([cy], reason="issued in error")
    assert (revoked.revoked, revoked.already_revoked) == ([cy], [])
    again = issuer.revoke([cy], reason="again")
    assert (again.revoked, again.already_revoked) == ([], [cy])
    listed = issuer.status_list(key=key)
    assert listed["id"] == "https://credentials.example.org/c/status/0"
    cy_document = tmp_path / "signed" / f"{cy}.json"
    assert not conferral.verify(cy_document, status_list=listed).valid
    assert conferral.verify(on_disk, status_list=listed).valid

    draft = issuer.import_roster(b"Name,Email\nDee,dee@example.org\n", {"name": "Later"}).created[0]
    named = issuer.export(tmp_path / "signed", key=key, ids=[draft, ana])
    assert named.exported == [ana]
    assert [(r.id, r.code) for r in named.refused] == [(draft, "illegal_transition")]
    with pytest.raises(conferral.NotFoundError):
        issuer.export(tmp_path / "signed", key=key, ids=["nope"])
    whole = issuer.revoke(batch=out.batch.id, reason="course withdrawn")
    assert (whole.revoked, whole.already_revoked) == ([ana], [cy])
    assert not conferral.verify(on_disk, status_list=issuer.status_list(key=key)).valid

    def refuse(credential_id, document):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        issuer._native.export(key.read_bytes(), None, None, True, refuse)


def test_stats_count_issued_and_delivered_per_batch(issuer, tmp_path):
    out = issuer.import_roster(ROSTER, GROUP, publish=True)
    issuer.deliver(conferral.FileMailer(tmp_path / "outbox"))
    stats = issuer.stats()
    [batch] = stats.batches
    assert (batch.group, batch.batch) == ("bootcamp-2026", out.batch.id)
    assert (batch.issued, batch.delivered, batch.delivery_rate) == (2, 2, 1.0)
    assert (batch.viewed, batch.view_rate) == (0, 0.0)
    day, events = stats.daily[0]
    assert day == datetime.datetime.now(datetime.timezone.utc).date()
    assert events["published"] == 2 and events["imported"] == 2
    assert issuer.stats(group="other").batches == []
    assert issuer.stats(since=datetime.date(2999, 1, 1)).daily == []
    assert stats.to_dict() == json.loads(json.dumps(stats.to_dict()))
    pandas = pytest.importorskip("pandas")
    frame = stats.frame()
    assert frame.loc[("bootcamp-2026", out.batch.id), "delivered"] == 2
    daily = stats.daily_frame()
    assert int(daily.loc[day, "published"]) == 2
    assert isinstance(daily, pandas.DataFrame)


def test_a_dry_run_says_what_an_import_would_do_and_changes_nothing(issuer):
    issuer.import_roster(b"Name,Email,Grade\nAna,ana@example.org,Pass\n", GROUP)
    roster = b"Name,Email,Grade\nAna,ana@example.org,Merit\nBo,bo@example.org,Pass\nCy,cy@,Pass\n"
    dry = issuer.import_roster(roster, GROUP, dry_run=True, publish=True)
    assert dry.dry_run and not dry.already_imported and dry.published is None
    # Ana has a credential in the group already (its policy refuses a second), Cy's address
    # is not one.
    assert (dry.batch.rows, dry.batch.created, dry.batch.rejected) == (3, 1, 2)
    assert dry.created == []
    assert [f.code for f in dry.report.findings if f.severity == "error"] == ["invalid_email"]
    assert [(f.code, f.cell) for f in dry.findings] == [("duplicate_recipient", "B2")]
    assert len(issuer.drafts()) == 1
    done = issuer.import_roster(roster, GROUP)
    assert not done.dry_run and len(done.created) == 1 and len(issuer.drafts()) == 2


def test_one_credential_is_made_from_values_as_a_roster_row(issuer):
    made = issuer.create(GROUP, name="Ana López", email="ana@example.org", grade="merit")
    assert len(made.created) == 1 and made.batch.file_name == "(created from values)"
    ana = issuer.show(made.created[0]).credential
    assert ana.recipient.name == "Ana López" and ana.attributes["grade"] == "Merit"
    refused = issuer.create(GROUP, {"name": "Bo", "email": "bo@", "grade": "Gold"}, publish=True)
    assert refused.created == [] and refused.published is not None and refused.published.published == []
    assert sorted((f.code, f.attribute) for f in refused.report.findings if f.severity == "error") == [
        ("invalid_email", "email"),
        ("invalid_enum", "grade"),
    ]
    published = issuer.create(GROUP, name="Cy", email="cy@example.org", publish=True)
    assert published.published.published == published.created
    with pytest.raises(conferral.InvalidValueError) as e:
        issuer.create(GROUP, name="Di", email="di@example.org", grde="Pass")
    assert "no attribute `grde`" in str(e.value)


def test_groups_are_kept_in_versions_and_credentials_keep_theirs(issuer):
    assert issuer.groups() == []
    assert issuer.save_group(GROUP) == 1 and issuer.save_group(GROUP) == 1
    ana = issuer.import_roster(b"Name,Email,Grade\nAna,ana@example.org,Pass\n", GROUP, publish=True).created[0]
    assert issuer.show(ana).credential.group_version == 1
    renamed = {**GROUP, "key": "bootcamp-2026", "name": "Bootcamp 2026 (spring)"}
    assert issuer.save_group(renamed) == 2
    latest = issuer.group("bootcamp-2026")
    assert (latest.key, latest.version, latest.group.name) == ("bootcamp-2026", 2, "Bootcamp 2026 (spring)")
    assert issuer.group("bootcamp-2026", version=1).group.name == "Bootcamp 2026"
    assert [g.version for g in issuer.group_history("bootcamp-2026")] == [1, 2]
    assert [(g.key, g.version) for g in issuer.groups()] == [("bootcamp-2026", 2)]
    bo = issuer.create(latest.group, name="Bo", email="bo@example.org", publish=True).created[0]
    assert issuer.show(bo).credential.group_version == 2
    assert issuer.show(ana).credential.group_version == 1
    with pytest.raises(conferral.NotFoundError):
        issuer.group("bootcamp-2026", version=3)


def test_credentials_expire_the_day_after_their_expiry_date(issuer):
    roster = b"Name,Email,Grade,Expires On\nAna,ana@example.org,Pass,2026-03-02\nBo,bo@example.org,Pass,\n"
    ana = issuer.import_roster(roster, GROUP, publish=True).created[0]
    assert issuer.expire(datetime.date(2026, 3, 2)) == []
    assert issuer.expire(datetime.date(2026, 3, 3)) == [ana]
    assert issuer.expire(datetime.date(2026, 3, 3)) == []
    assert issuer.show(ana).credential.state == "expired"


def test_notices_are_queued_once_and_delivered(issuer, tmp_path):
    group = dict(
        GROUP,
        notices={"expiring": {"days_before": 10}, "expired": {}, "reminder": {"after_days": 1}},
    )
    roster = (
        b"Name,Email,Grade,Expires On\n"
        b"Ana,ana@example.org,Pass,2026-03-02\nBo,bo@example.org,Pass,2026-03-05\n"
    )
    ana, bo = issuer.import_roster(roster, group, publish=True).created
    outbox = tmp_path / "outbox"
    issuer.deliver(conferral.FileMailer(outbox))
    run = issuer.expire_and_notify(datetime.date(2026, 3, 1))
    assert isinstance(run, conferral.ExpireResult)
    assert (run.today, run.expired) == (datetime.date(2026, 3, 1), [])
    assert sorted(run.warnings.queued) == sorted([f"{ana}:expiring", f"{bo}:expiring"])
    again = issuer.expire_and_notify(datetime.date(2026, 3, 1))
    assert again.warnings.queued == [] and sorted(again.warnings.already_queued) == sorted([ana, bo])
    assert issuer.expire(datetime.date(2026, 3, 3)) == [ana]
    # expire() queued Ana's expiry notice; a second run finds it there.
    assert issuer.expire_and_notify(datetime.date(2026, 3, 3)).expired_notices.queued == []
    revoked = issuer.revoke([bo], reason="issued in error", notify=True)
    assert revoked.revoked == [bo]
    assert revoked.notices is not None and revoked.notices.queued == [f"{bo}:revoked"]
    assert issuer.revoke([bo], reason="again").notices is None
    report = issuer.deliver(conferral.FileMailer(outbox)).delivery
    assert report.sent == 4
    names = sorted(p.name for p in outbox.glob("*.eml"))
    assert f"{bo}.revoked.eml" in names and f"{ana}.expired.eml" in names
    revocation = (outbox / f"{bo}.revoked.eml").read_text()
    assert "issued in error" in revocation
    # Neither is published any more: nobody is reminded.
    assert issuer.remind().queued == []


def test_an_expired_credential_is_renewed_from_its_values(issuer):
    roster = b"Name,Email,Grade,Issued On,Expires On\nAna,ana@example.org,Merit,2025-03-02,2026-03-02\n"
    ana = issuer.import_roster(roster, GROUP, publish=True).created[0]
    assert issuer.expire(datetime.date(2026, 3, 3)) == [ana]
    renewed = issuer.renew(ana, datetime.date(2026, 3, 3), publish=True)
    new = issuer.show(renewed.created[0]).credential
    assert (new.state, new.recipient.email) == ("published", "ana@example.org")
    assert new.attributes["grade"] == "Merit"
    assert (new.issued_on, new.expires_on) == (datetime.date(2026, 3, 3), datetime.date(2027, 3, 3))
    with pytest.raises(conferral.NotFoundError):
        issuer.renew("nope")


DSN_FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "dsn"


def test_bounces_mark_emails_suppress_addresses_and_stop_later_sends(issuer, tmp_path):
    issuer.import_roster(ROSTER, GROUP, publish=True)
    assert issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).delivery.sent == 2
    ana = next(c for c in issuer.credentials(state="published") if c.recipient.email == "ana@example.org")
    message_id = issuer.show(ana.id).deliveries[0].message_id
    dsn = (
        (DSN_FIXTURES / "postfix-hard-bounce.eml")
        .read_bytes()
        .replace(b"<C1.issued@example.org>", message_id.encode())
        .replace(b"ana.lopez@example.net", b"ana@example.org")
    )
    folder = tmp_path / "bounces"
    folder.mkdir()
    (folder / "a.eml").write_bytes(dsn)
    (folder / "b.eml").write_bytes((DSN_FIXTURES / "not-a-report.eml").read_bytes())

    dry = issuer.process_bounces(dsn, dry_run=True)
    assert dry.dry_run and dry.reports[0].effect == "bounced"
    assert issuer.suppressions() == []

    run = issuer.process_bounces([folder, DSN_FIXTURES / "malformed-unclosed-and-never-sent.eml"])
    assert [r.effect for r in run.reports] == ["bounced", "unreadable", "unmatched"]
    assert [r.source for r in run.reports] == ["a.eml", "b.eml", "malformed-unclosed-and-never-sent.eml"]
    first = run.reports[0]
    assert (first.credential, first.recipient, first.status, first.verdict) == (ana.id, "ana@example.org", "5.1.1", "hard_bounce")
    assert first.newly_suppressed and first.state == "bounced"
    assert run.reports[1].error
    assert run.counts["bounced"] == 1 and run.counts["unmatched"] == 1
    assert run.to_dict()["reports"][0]["effect"] == "bounced"
    assert issuer.show(ana.id).deliveries[0].state == "bounced"
    assert issuer.status().deliveries["bounced"] == 1

    listed = issuer.suppressions()
    assert [(s.email, s.reason) for s in listed] == [("ana@example.org", "hard_bounce")]
    assert isinstance(listed[0].at, datetime.datetime)
    assert issuer.process_bounces(dsn).reports[0].effect == "already_bounced"

    issuer.resend([ana.id])
    report = issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).delivery
    assert (report.sent, report.suppressed) == (0, 1)
    delivery = issuer.show(ana.id).deliveries[0]
    assert delivery.state == "failed_permanent"
    assert delivery.last_result.startswith("not sent: ana@example.org is on the suppression list (hard_bounce")

    assert issuer.suppress("Bo@Example.org", note="asked") is True
    assert issuer.suppress("bo@example.org", "complaint") is False
    with pytest.raises(conferral.InvalidValueError):
        issuer.suppress("nope")
    with pytest.raises(ValueError):
        issuer.suppress("x@example.org", "whim")
    assert issuer.unsuppress("ANA@example.org") is True
    assert issuer.unsuppress("ana@example.org") is False
    assert [(s.email, s.reason, s.detail) for s in issuer.suppressions()] == [("Bo@example.org", "manual", "asked")]




def test_a_roster_corrects_drafts_and_published_credentials(issuer, tmp_path):
    group = {**GROUP, "attributes": [*GROUP["attributes"], {"key": "hours", "type": "number", "required": True}]}
    out = issuer.import_roster(
        b"Name,Email,Grade,Hours\nAna,ana@example.org,Pass,1\nBo,bo@example.org,Pass,2\nCy,cy@example.org,Pass,3\n",
        group,
    )
    ana, bo, cy = out.created
    issuer.publish([ana, cy])
    assert issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).delivery.sent == 2
    issuer.revoke([cy], reason="mistake")
    fix = (
        "Credential ID,Name,Grade,Hours\n"
        f"{ana},Ana Correct,Merit,\n"
        f"{bo},,,{conferral.CLEAR_MARKER}\n"
        f"{cy},,Merit,\n"
        "nope,,Merit,\n"
    ).encode()
    dry = issuer.correct(group, fix, notify=True, dry_run=True)
    assert isinstance(dry, conferral.CorrectResult) and dry.dry_run
    assert [(c.id, c.row, c.state, c.notified) for c in dry.corrected] == [(ana, 2, "published", True)]
    assert [(c.field, c.old, c.new) for c in dry.corrected[0].changes] == [
        ("grade", "Pass", "Merit"),
        ("name", "Ana", "Ana Correct"),
    ]
    assert [(f.cell, f.code) for f in dry.findings] == [
        ("D3", "missing_required_value"),
        ("A4", "credential_not_correctable"),
        ("A5", "unknown_credential"),
    ]
    assert dry.refused == 3 and dry.matched_by == "credential_id"
    assert issuer.show(ana).credential.recipient.name == "Ana"

    done = issuer.correct(group, fix, notify=True)
    assert not done.dry_run and done.corrected == dry.corrected and done.to_dict()["refused"] == 3
    shown = issuer.show(ana)
    assert shown.credential.state == "published" and shown.credential.recipient.name == "Ana Correct"
    last = shown.credential.history[-1]
    assert (last.event, last.actor, last.reason) == ("corrected", "python", "row 2 of a correction")
    assert shown.deliveries[0].state == "pending"
    assert issuer.deliver(conferral.FileMailer(tmp_path / "outbox")).delivery.sent == 1
    assert "Ana Correct" in (tmp_path / "outbox" / f"{ana}.issued.2.eml").read_text()

    path = tmp_path / "by-email.csv"
    path.write_bytes(b"Email,Hours\nbo@example.org,5\n")
    by_email = issuer.correct(group, path)
    assert by_email.matched_by == "email" and by_email.corrected[0].id == bo
    assert issuer.show(bo).credential.attributes["hours"] == 5
    with pytest.raises(conferral.NotFoundError):
        issuer.correct({"name": "Never Stored"}, b"Email,Hours\nbo@example.org,5\n")
    with pytest.raises(conferral.InvalidValueError):
        issuer.correct(group, b"Hours\n5\n")


def test_a_batchs_drafts_are_discarded_and_published_ones_refused(issuer):
    out = issuer.import_roster(ROSTER, GROUP)
    ana, cy = out.created
    issuer.publish([ana])
    dry = issuer.discard(batch=out.batch.id, dry_run=True)
    assert isinstance(dry, conferral.DiscardResult)
    assert (dry.discarded, dry.dry_run) == ([cy], True)
    assert [(r.id, r.code) for r in dry.refused] == [(ana, "illegal_transition")]
    assert len(issuer.drafts()) == 1
    done = issuer.discard(batch=out.batch.id)
    assert done.discarded == [cy] and issuer.drafts() == []
    with pytest.raises(conferral.NotFoundError):
        issuer.show(cy)
    with pytest.raises(conferral.NotFoundError):
        issuer.discard(batch="nope")
    with pytest.raises(ValueError):
        issuer.discard()


def test_a_roster_of_emails_revokes_their_credentials(issuer, tmp_path):
    ana, cy = issuer.import_roster(ROSTER, GROUP, publish=True).created
    sheet = tmp_path / "revoke.csv"
    sheet.write_bytes(b"Email\nANA@example.org\nnobody@example.org\n")
    dry = issuer.revoke_roster(GROUP, sheet, reason="issued in error", dry_run=True)
    assert isinstance(dry, conferral.RevokeRosterResult)
    assert (dry.dry_run, dry.revoked, dry.matched_by) == (True, [ana], "email")
    assert issuer.show(ana).credential.state == "published"
    out = issuer.revoke_roster(GROUP, sheet.read_bytes(), reason="issued in error", notify=True)
    assert out.revoked == [ana]
    assert [(f.code, f.cell) for f in out.findings] == [("unknown_credential", "A3")]
    assert out.notices is not None and out.notices.queued == [f"{ana}:revoked"]
    assert issuer.show(ana).credential.state == "revoked"
    assert issuer.show(cy).credential.state == "published"
    with pytest.raises(conferral.InvalidValueError):
        issuer.revoke_roster(GROUP, b"Grade\nPass\n", reason="x")


def test_one_roster_feeds_several_stored_groups(issuer):
    issuer.save_group(GROUP)
    issuer.save_group({"name": "Fire Safety", "key": "fire"})
    roster = (
        b"Course,Name,Email,Grade\n"
        b"Bootcamp 2026,Ana,ana@example.org,Pass\nfire,Bo,bo@example.org,\nKnitting,Cy,cy@example.org,\n"
    )
    out = issuer.import_groups(roster, "course", publish=True)
    assert isinstance(out, conferral.GroupsImportResult)
    assert [(f.code, f.cell, f.value) for f in out.findings] == [("unknown_group", "A4", "Knitting")]
    created = {i.group: i.outcome.created for i in out.imports}
    assert sorted(created) == ["bootcamp-2026", "fire"]
    assert all(len(ids) == 1 for ids in created.values())
    assert issuer.status().credentials["published"] == 2
    with pytest.raises(conferral.InvalidValueError):
        issuer.import_groups(roster, "Programme")
