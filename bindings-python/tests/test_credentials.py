"""Signed credentials from Python: issuer keys and verification, as the CLI has them."""
import datetime
import json
import os
import stat

import pytest

import conferral


def test_a_new_key_is_a_private_file_that_is_never_replaced(tmp_path):
    path = tmp_path / "key.json"
    did = conferral.new_key(path)
    assert did.startswith("did:key:z6Mk")
    assert conferral.key_did(path) == did
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        conferral.new_key(path)
    edited = json.loads(path.read_text())
    edited["did"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    with pytest.raises(conferral.InvalidCredentialError):
        conferral.key_did(tmp_path / "edited.json")


FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "credentials")
AT = datetime.datetime(2026, 3, 20, 12, tzinfo=datetime.timezone.utc)


def fixture(name):
    return os.path.join(FIXTURES, name)


def test_a_credential_the_core_signed_verifies_with_its_status(tmp_path):
    report = conferral.verify(fixture("credential.json"), status_list=fixture("status-list.json"), now=AT)
    assert report.valid, report.failures()
    assert {c.check: c.outcome for c in report.checks}["status"] == "passed"
    revoked = conferral.verify(fixture("revoked.json"), status_list=fixture("status-list.json"), now=AT)
    assert not revoked.valid
    assert [c.check for c in revoked.failures()] == ["status"]
    document = json.loads(open(fixture("credential.json"), encoding="utf-8").read())
    document["credentialSubject"]["achievement"]["name"] = "Something else"
    tampered = conferral.verify(document, now=AT)
    assert "proof" in [c.check for c in tampered.failures()]
    # Two years on it has expired.
    later = conferral.verify(fixture("credential.json"), now=AT.replace(year=2029))
    assert [c.check for c in later.failures()] == ["dates"]


def test_verify_reports_every_check_and_refuses_what_is_not_a_credential(tmp_path):
    with pytest.raises(conferral.MalformedFileError):
        conferral.verify(b"not json")
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"name": "Ana"},
    }
    report = conferral.verify(unsigned, now=datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc))
    assert not report.valid
    assert [c.check for c in report.checks] == ["shape", "proof", "issuer", "dates", "status"]
    assert any(c.check == "proof" for c in report.failures())
    with pytest.raises(ValueError):
        conferral.verify(unsigned, now=datetime.datetime(2026, 3, 2))


def test_a_group_says_which_credential_fields_it_leaves_to_defaults():
    bare = conferral.Group.from_dict({"name": "Bootcamp 2026"})
    assert [(w.code, w.field) for w in bare.warnings] == [
        ("issuer_name_missing", "issuer.name"),
        ("issuer_url_missing", "issuer.url"),
        ("achievement_description_missing", "achievement.description"),
        ("achievement_criteria_missing", "achievement.criteria"),
    ]
    assert "Awarded for Bootcamp 2026." in bare.warnings[2].message
    full = conferral.Group.from_dict({
        "name": "Bootcamp 2026",
        "issuer": {"name": "Academy", "url": "https://academy.example.org"},
        "achievement": {"description": "Twelve weeks of data.", "criteria": "Pass the project."},
    })
    assert full.warnings == []
