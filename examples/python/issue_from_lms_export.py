"""Issue certificates from an LMS grade export, the way a data person would script it.

    python examples/python/issue_from_lms_export.py EXPORT.csv GROUP.json OUT_DIR

Reads the export (here a Moodle grade export: semicolons, a byte order mark, decimal commas),
prints what needs fixing, keeps the valid rows as drafts in a SQLite file, publishes them, and
writes one email per recipient into OUT_DIR/outbox. Rerunning it creates nothing twice.
"""
import pathlib
import sys

import conferral


def main(export: str, group_path: str, out_dir: str) -> int:
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    group = conferral.Group.from_path(group_path)

    # 1. What is wrong with the file, cell by cell, before anything is created.
    report = conferral.analyze(export, group)
    print(f"{export}: {report.summary.rows} rows, {report.summary.invalid} with problems")
    for column in report.columns:
        print(f"  {column.letter} {column.header!r} -> {column.attribute or '(ignored)'}")
    for finding in report.findings:
        print(f"  {finding.severity:<7} {finding.cell or finding.column or '':<5} {finding.message}")
    if report.findings:
        (out / "errors.csv").write_bytes(conferral.error_report(report))
        print(f"  error report: {out / 'errors.csv'}")

    # 2. Valid rows become drafts, are published, and their emails are written.
    issuer = conferral.Issuer(
        conferral.SqliteStore(out / "credentials.db"),
        base_url="https://credentials.example.org/c",
        sender="Data Science Academy <credentials@example.org>",
    )
    imported = issuer.import_roster(export, group, publish=True)
    batch = imported.batch
    if imported.already_imported:
        print(f"batch {batch.id} was imported before; nothing new was created")
    print(f"drafts created: {batch.created}, rows refused: {batch.rejected}")
    delivered = issuer.deliver(conferral.FileMailer(out / "outbox")).delivery
    print(f"emails written: {delivered.sent} into {out / 'outbox'}")
    print(f"status: {issuer.status()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
