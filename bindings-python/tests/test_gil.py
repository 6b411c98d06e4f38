"""Long calls let other Python threads run. Not a timing test: with the interpreter told never
to take the GIL from a running thread (a huge switch interval), the main thread can only run
while a worker is inside a call if that call released the GIL itself."""
import sys
import threading

import conferral

GROUP = {"name": "Bootcamp 2026", "attributes": [{"key": "hours", "type": "number"}]}
ROWS = 40_000
ROSTER = ("Name,Email,Hours\n" + "".join(f"Person {i},p{i}@example.org,{i % 40}\n" for i in range(ROWS))).encode()


def main_thread_ran_during(call):
    """Runs ``call`` on a worker thread; whether this thread got to run while it was inside."""
    inside = threading.Event()
    finished = threading.Event()
    errors = []

    def work():
        inside.set()
        try:
            call()
        except BaseException as e:  # noqa: BLE001 - handed to the test below
            errors.append(e)
        finished.set()

    before = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)
    try:
        worker = threading.Thread(target=work)
        # start() waits for the worker to begin; this thread then needs the GIL back, which it
        # gets only when the worker gives it up: inside a call that releases it, or at the end.
        worker.start()
        ran_inside = inside.is_set() and not finished.is_set()
        worker.join()
    finally:
        sys.setswitchinterval(before)
    assert not errors, errors
    return ran_inside


def test_the_control_is_sound():
    # A call that holds the GIL throughout (pure Python) must read as "did not run".
    def busy():
        total = 0
        for i in range(2_000_000):
            total += i

    assert not main_thread_ran_during(busy)


def test_analyze_releases_the_gil():
    assert main_thread_ran_during(lambda: conferral.analyze(ROSTER, GROUP))


def test_import_and_publish_release_the_gil():
    issuer = conferral.Issuer(conferral.MemoryStore())
    assert main_thread_ran_during(lambda: issuer.import_roster(ROSTER, GROUP))
    assert main_thread_ran_during(lambda: issuer.publish(all=True))


def test_one_issuer_serves_many_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    issuer = conferral.Issuer(conferral.SqliteStore(tmp_path / "store.db"))
    rosters = [f"Name,Email\nPerson {i},p{i}@example.org\n".encode() for i in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda r: issuer.import_roster(r, GROUP, publish=True), rosters))
    assert sorted(len(r.created) for r in results) == [1] * 8
    assert issuer.status().credentials["published"] == 8
