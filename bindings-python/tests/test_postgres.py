"""A PostgreSQL store from Python: several issuers share one database."""
import pytest

import conferral

GROUP = {"name": "Bootcamp 2026"}
ROSTER = b"Name,Email\n" + b"".join(b"Person %d,person%d@example.org\n" % (i, i) for i in range(30))
SETTINGS = {"base_url": "https://credentials.example.org/c", "sender": "Academy <academy@example.org>"}


def test_issuers_on_one_database_share_it_and_send_each_email_once(postgres_url):
    office = conferral.Issuer(conferral.PostgresStore(postgres_url), **SETTINGS)
    out = office.import_roster(ROSTER, GROUP, publish=True)
    assert len(out.created) == 30

    sent = []

    class Collect:
        def send(self, message):
            sent.append(message["to"]["email"])

    # Two other issuers, each with its own connection, deliver from the same queue.
    workers = [conferral.Issuer(conferral.PostgresStore(postgres_url), **SETTINGS) for _ in range(2)]
    first = workers[0].deliver(Collect(), limit=12).delivery
    second = workers[1].deliver(Collect()).delivery
    assert (first.sent, second.sent) == (12, 18)
    assert len(sent) == len(set(sent)) == 30
    assert office.status().deliveries["sent"] == 30


def test_a_store_that_cannot_be_used_raises_storage_error():
    with pytest.raises(conferral.StorageError, match="URL"):
        conferral.Issuer(conferral.PostgresStore("postgres://x@127.0.0.1/db?frobnicate=1"))
    with pytest.raises(conferral.StorageError, match="TLS"):
        conferral.Issuer(conferral.PostgresStore("postgres://x@127.0.0.1/db?sslmode=require"))


def test_several_workers_deliver_from_a_postgres_store(postgres_url, tmp_path):
    issuer = conferral.Issuer(conferral.PostgresStore(postgres_url), **SETTINGS)
    issuer.import_roster(ROSTER, GROUP, publish=True)
    run = issuer.deliver(conferral.FileMailer(tmp_path / "outbox"), workers=3)
    assert (run.delivery.sent, run.delivery.lease_lost) == (30, 0)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 30
