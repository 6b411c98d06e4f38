"""Every error kind Python can meet is raised as its own exception class, with its kind."""
import json
import pathlib

import pytest

import conferral

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
THIRD_PARTY = ROOT / "tests" / "fixtures" / "third_party" / "calamine"
GROUP = {"name": "Errors", "attributes": [{"key": "grade", "type": "enum", "values": ["Pass", "Merit"]}]}
ROSTER = b"Name,Email,Grade\nAna Lopez,ana@example.org,Merit\n"

# The kind each hostile file must get, as the CLI and JavaScript tests read it.
HOSTILE_KINDS = json.loads((HOSTILE / "kinds.json").read_text(encoding="utf-8"))
CLASSES = {cls.kind: cls for cls in (conferral.LimitExceededError, conferral.MalformedFileError,
                                     conferral.UnsupportedFormatError, conferral.EmptyFileError)}


def test_every_hostile_file_is_listed():
    names = sorted(p.name for p in HOSTILE.iterdir() if p.name not in ("README.md", "kinds.json"))
    assert names == sorted(HOSTILE_KINDS)


@pytest.mark.parametrize("name", sorted(HOSTILE_KINDS))
def test_hostile_files_raise_their_kind(name):
    expected = CLASSES[HOSTILE_KINDS[name]]
    with pytest.raises(expected) as raised:
        conferral.analyze(HOSTILE / name, GROUP)
    assert raised.value.kind == expected.kind
    assert isinstance(raised.value, conferral.ConferralError)
    assert str(raised.value) and not str(raised.value).endswith(".")


def test_reading_errors_have_their_classes():
    with pytest.raises(conferral.EncryptedError):
        conferral.analyze(THIRD_PARTY / "pass_protected.ods", GROUP)
    workbook = conferral.template(GROUP, "xlsx")
    with pytest.raises(conferral.SheetNotFoundError):
        conferral.analyze(workbook, GROUP, sheet="Nope", file_name="t.xlsx")
    with pytest.raises(conferral.InvalidHeaderRowError):
        conferral.analyze(ROSTER, GROUP, header_row=40)
    with pytest.raises(conferral.InvalidMappingError):
        conferral.analyze(ROSTER, GROUP, mapping={"Z": "name"})
    with pytest.raises(conferral.InvalidGroupError):
        conferral.analyze(ROSTER, {"name": "g", "attributes": [{"key": "Bad Key"}]})


def test_issuing_errors_have_their_classes(tmp_path):
    with pytest.raises(conferral.InvalidConfigError):
        conferral.Issuer(conferral.MemoryStore(), base_url="not a url")
    with pytest.raises(conferral.StorageError):
        conferral.Issuer(conferral.SqliteStore(tmp_path / "missing" / "store.db"))
    issuer = conferral.Issuer(conferral.MemoryStore())
    ana = issuer.import_roster(ROSTER, GROUP).created[0]
    with pytest.raises(conferral.InvalidValueError):
        issuer.edit(ana, email="nope")
    with pytest.raises(conferral.NotFoundError):
        issuer.show("missing")
    issuer.publish(all=True)
    with pytest.raises(conferral.IllegalTransitionError):
        issuer.edit(ana, name="Too Late")
    with pytest.raises(conferral.MailError):
        issuer.deliver(conferral.SmtpMailer("ftp://mail.example.org"))
    bad_template = dict(GROUP, email={"subject": "{{ recipient.nickname }}"})
    with pytest.raises(conferral.InvalidTemplateError):
        issuer.import_roster(ROSTER, bad_template)
