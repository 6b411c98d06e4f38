"""Certificates from Python: one credential's as PDF, PNG or SVG bytes, a batch's as a zip."""
import shutil
import subprocess
import zipfile

import pytest

import conferral

GROUP = {"name": "Data Science Bootcamp 2026", "issuer": {"name": "Northwind Academy"}}
ROSTER = "Name,Email\nAna López,ana@example.org\n\"<script>alert(1)</script>\",eve@example.org\nمريم,m@example.org\n".encode()


def test_a_credential_has_its_certificate_in_three_formats(tmp_path):
    issuer = conferral.Issuer()
    out = issuer.import_roster(ROSTER, GROUP)
    ana = out.created[0]
    with pytest.raises(conferral.IllegalTransitionError):
        issuer.certificate(ana)
    issuer.publish(batch=out.batch.id)
    pdf = issuer.certificate(ana)
    assert pdf.startswith(b"%PDF")
    assert issuer.certificate(ana, format="png").startswith(b"\x89PNG")
    assert issuer.certificate(ana, format="svg").startswith(b"<svg")
    with pytest.raises(ValueError):
        issuer.certificate(ana, format="gif")
    with pytest.raises(conferral.NotFoundError):
        issuer.certificate("nope")
    # The name is real text in the PDF.
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext from poppler-utils (make setup installs it)"
    (tmp_path / "ana.pdf").write_bytes(pdf)
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(tmp_path / "ana.pdf"), "-"], check=True, capture_output=True).stdout
    assert "Ana López" in text.decode()
    eve = issuer.certificate(out.created[1])
    (tmp_path / "eve.pdf").write_bytes(eve)
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(tmp_path / "eve.pdf"), "-"], check=True, capture_output=True).stdout
    assert "<script>alert(1)</script>" in text.decode()


def test_a_batch_becomes_a_zip_of_pdfs(tmp_path):
    issuer = conferral.Issuer()
    out = issuer.import_roster(ROSTER, GROUP, publish=True)
    draft = issuer.import_roster(b"Name,Email\nDee,dee@example.org\n", GROUP).created[0]
    result = issuer.certificates(tmp_path / "batch.zip", batch=out.batch.id)
    assert sorted(result.written) == sorted(out.created)
    assert result.refused == []
    with zipfile.ZipFile(tmp_path / "batch.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{i}.pdf" for i in out.created)
        assert archive.read(f"{out.created[0]}.pdf").startswith(b"%PDF")
    named = issuer.certificates(tmp_path / "named.zip", ids=[draft, out.created[0]], format="png")
    assert named.written == [out.created[0]]
    assert [r.id for r in named.refused] == [draft]
    with zipfile.ZipFile(tmp_path / "named.zip") as archive:
        assert archive.namelist() == [f"{out.created[0]}.png"]
    with pytest.raises(ValueError):
        issuer.certificates(tmp_path / "none.zip")
    with pytest.raises(conferral.NotFoundError):
        issuer.certificates(tmp_path / "none.zip", batch="nope")
    assert not (tmp_path / "none.zip").exists()
    assert not (tmp_path / "none.zip.partial").exists()


def test_a_group_design_is_checked_like_the_emails_and_drawn():
    design = '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="200"><text x="10" y="100" data-fit-width="380">{{ recipient.nmae }}</text></svg>'
    with pytest.raises(conferral.InvalidTemplateError, match="did you mean `recipient.name`"):
        conferral.Group.from_dict({**GROUP, "design": {"svg": design}})
    with pytest.raises(conferral.InvalidTemplateError, match="<script>"):
        conferral.Group.from_dict({**GROUP, "design": {"svg": "<svg><script>alert(1)</script></svg>"}})
    group = conferral.Group.from_dict({**GROUP, "design": {"svg": design.replace("nmae", "name")}})
    assert group.design is not None
    issuer = conferral.Issuer()
    ana = issuer.import_roster(ROSTER, group, publish=True).created[0]
    svg = issuer.certificate(ana, format="svg")
    assert b'width="400"' in svg
