import threading
import time

from bridgenote.core.ids import id_at, id_time, new_id


def test_new_id_is_unique_and_increasing_within_a_thread():
    ids = [new_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_new_id_is_unique_across_threads():
    results: list[int] = []
    lock = threading.Lock()

    def make() -> None:
        batch = [new_id() for _ in range(2000)]
        with lock:
            results.extend(batch)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 8000


def test_id_encodes_its_creation_time():
    before = time.time()
    value = new_id()
    assert abs(id_time(value) - before) < 2
    assert id_at(before - 1) < value < 2**63
