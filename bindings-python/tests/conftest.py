"""Fixtures shared by the tests: a new, empty PostgreSQL store on the test server."""
import glob
import os
import shutil
import subprocess
import uuid

import pytest

import conferral


def _psql() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]), None)
    if not found:
        pytest.fail("psql is not installed; `make postgres-up` installs PostgreSQL")
    return found


@pytest.fixture
def postgres_url():
    """The URL of a schema of its own on the test server (`make python` passes the server's
    URL in CONFERRAL_TEST_POSTGRES_URL; a PostgreSQL test without it fails, it does not skip)."""
    url = os.environ.get("CONFERRAL_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("CONFERRAL_TEST_POSTGRES_URL is not set; run the tests through `make python` or `make test`")
    schema = "py_" + uuid.uuid4().hex[:16]
    subprocess.run([_psql(), url, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True)
    return url + ("&" if "?" in url else "?") + "options=-csearch_path%3D" + schema


@pytest.fixture
def postgres_store(postgres_url):
    return conferral.PostgresStore(postgres_url)
