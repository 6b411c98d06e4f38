"""The issuer's typed results: attributes, native Python values, and to_dict() unchanged."""
import datetime as dt

import conferral
from conferral.results import _time

GROUP = {
    "name": "Bootcamp 2026",
    "attributes": [{"key": "grade", "type": "enum", "values": ["Pass", "Merit"]}],
}
ROSTER = b"Name,Email,Grade,Issue Date\nAna Lopez,ana@example.org,Merit,2026-11-30\nBo Chen,bo@,Pass,2026-11-30\n"


def test_timestamps_keep_microseconds_and_utc():
    assert _time("2026-12-01T09:53:04.893622027Z") == dt.datetime(2026, 12, 1, 9, 53, 4, 893622, tzinfo=dt.timezone.utc)
    assert _time("2026-12-01T09:53:04Z") == dt.datetime(2026, 12, 1, 9, 53, 4, tzinfo=dt.timezone.utc)
    assert _time("2026-12-01T10:53:04.5+01:00") == dt.datetime(2026, 12, 1, 9, 53, 4, 500000, tzinfo=dt.timezone.utc)
    assert _time(None) is None


def test_every_result_is_typed_and_gives_its_json_back():
    issuer = conferral.Issuer(conferral.MemoryStore())
    imported = issuer.import_roster(ROSTER, GROUP)
    assert isinstance(imported, conferral.ImportResult)
    assert isinstance(imported.report, conferral.Report) and imported.report.summary.invalid == 1
    assert imported.batch.created_at.tzinfo is dt.timezone.utc
    assert imported.to_dict()["batch"]["created_at"].endswith("Z")
    assert imported.published is None

    (ana,) = imported.created
    credential = issuer.edit(ana, grade="pass")
    assert isinstance(credential, conferral.Credential)
    assert credential.issued_on == dt.date(2026, 11, 30) and credential.expires_on is None
    assert [e.event for e in credential.history] == ["created", "amended"]
    change = credential.history[1].changes[0]
    assert (change.field, change.old, change.new) == ("grade", "Merit", "Pass")
    assert credential.to_dict()["history"][1]["changes"][0] == {"field": "grade", "from": "Merit", "to": "Pass"}

    email = issuer.preview(ana)
    assert isinstance(email, conferral.Email) and email.to_email == "ana@example.org"

    published = issuer.publish(all=True)
    assert published.published == [ana]
    run = issuer.deliver(lambda_mailer())
    assert isinstance(run, conferral.DeliveryRun) and run.delivery.sent == 1 and run.recovered == 0

    detail = issuer.show(ana)
    assert detail.credential.state == "published"
    (delivery,) = detail.deliveries
    assert delivery.state == "sent" and delivery.sent_at is not None and delivery.sent_at >= delivery.queued_at
    assert delivery.email.subject == email.subject
    assert detail.to_dict()["deliveries"][0]["message_id"] == delivery.message_id

    status = issuer.status()
    assert status.credentials["published"] == 1 and status.deliveries["sent"] == 1
    (again,) = issuer.resend([ana])
    assert again.state == "pending" and again.message_id == delivery.message_id

    # Results are values: frozen, and to_dict() hands out a copy.
    copy = credential.to_dict()
    copy["recipient"]["name"] = "changed"
    assert credential.to_dict()["recipient"]["name"] == "Ana Lopez"


class lambda_mailer:
    def send(self, message):
        return None


def test_the_installed_wheel_is_abi3():
    from importlib.metadata import distribution

    wheel = distribution("conferral").read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    assert tags and all(tag.startswith("cp39-abi3-") for tag in tags), tags
