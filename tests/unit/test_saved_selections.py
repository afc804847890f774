"""Saved selections: named, shared, surviving a restart, exported to and imported from CSV."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from latent_dash import saved_selections as saved
from latent_dash import selection_store, storage

ROOT = Path(__file__).resolve().parents[2]
N = 50


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch) -> Path:
    """A cache folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(storage.CACHE_ENV, str(folder))
    return folder


def masked(*rows: int, n: int = N) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[list(rows)] = True
    return mask


def restart() -> None:
    """What a new process starts with: no open cache, nothing remembered in memory."""
    storage._open.cache_clear()


def test_save_list_recall_rename_delete():
    first, second = masked(1, 2, 3), masked(10, 40)
    record = saved.save("cfg", "  round ones ", first)
    assert record["name"] == "round ones" and record["count"] == 3 and record["n"] == N
    saved.save("cfg", "outliers", second)
    listed = saved.names("cfg")
    assert [r["name"] for r in listed] == ["round ones", "outliers"]  # in save order
    assert [r["count"] for r in listed] == [3, 2]
    assert listed[0]["saved"] <= listed[1]["saved"] and listed[0]["saved"].startswith("20")
    assert saved.names("another config") == []

    np.testing.assert_array_equal(saved.mask("cfg", "round ones", N), first)
    np.testing.assert_array_equal(saved.mask("cfg", "outliers", N), second)
    assert saved.mask("cfg", "nothing of that name", N) is None
    # pages pass the key around: the mask is in selection_store under it
    np.testing.assert_array_equal(selection_store.get(listed[1]["key"], N), second)

    saved.rename("cfg", "outliers", "far away")
    assert [r["name"] for r in saved.names("cfg")] == ["round ones", "far away"]
    np.testing.assert_array_equal(saved.mask("cfg", "far away", N), second)
    assert saved.mask("cfg", "outliers", N) is None

    assert saved.delete("cfg", "round ones") is True
    assert saved.delete("cfg", "round ones") is False
    assert [r["name"] for r in saved.names("cfg")] == ["far away"]


def test_a_taken_name_is_refused_unless_replaced():
    saved.save("cfg", "a", masked(1))
    saved.save("cfg", "b", masked(2))
    with pytest.raises(ValueError, match="'a' is already saved"):
        saved.save("cfg", "a ", masked(5))
    np.testing.assert_array_equal(saved.mask("cfg", "a", N), masked(1))
    saved.save("cfg", "a", masked(5), replace=True)
    np.testing.assert_array_equal(saved.mask("cfg", "a", N), masked(5))
    assert [r["name"] for r in saved.names("cfg")] == ["b", "a"]  # saved again: now newest
    with pytest.raises(ValueError, match="'b' is already saved"):
        saved.rename("cfg", "a", "b")
    saved.rename("cfg", "a", "b", replace=True)
    assert [r["name"] for r in saved.names("cfg")] == ["b"]
    np.testing.assert_array_equal(saved.mask("cfg", "b", N), masked(5))
    with pytest.raises(ValueError, match="no selection named 'zz'"):
        saved.rename("cfg", "zz", "yy")


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "give the selection a name"), ("   ", "give"), (None, "give"),
     ("x" * 81, "at most 80"), ("two\nlines", "line break"), ("tab\there", "line break")],
)  # fmt: skip
def test_names_must_be_1_to_80_printable_characters(name, message):
    with pytest.raises(ValueError, match=message):
        saved.save("cfg", name, masked(1))
    assert saved.names("cfg") == []


def test_empty_and_malformed_masks_are_refused():
    with pytest.raises(ValueError, match="nothing is selected"):
        saved.save("cfg", "none", np.zeros(N, dtype=bool))
    with pytest.raises(ValueError, match="1-D mask"):
        saved.save("cfg", "grid", np.ones((5, 5), dtype=bool))
    assert saved.save("cfg", "ints", np.array([0, 1, 1, 0]))["count"] == 2


def test_recall_over_other_data_says_so():
    saved.save("cfg", "a", masked(1))
    with pytest.raises(ValueError, match="saved over 50 samples and the data now have 60"):
        saved.mask("cfg", "a", 60)


def test_a_restart_reads_the_same_folder():
    saved.save("cfg", "kept", masked(4, 5, 6))
    restart()
    assert [r["name"] for r in saved.names("cfg")] == ["kept"]
    np.testing.assert_array_equal(saved.mask("cfg", "kept", N), masked(4, 5, 6))


def test_a_new_process_sees_what_was_saved(cache):
    saved.save("cfg", "kept", masked(7, 8))
    script = (
        "from latent_dash import saved_selections as s;"
        "print(s.names('cfg')[0]['name'], s.mask('cfg', 'kept', 50).nonzero()[0].tolist())"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), storage.CACHE_ENV: str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "kept [7, 8]"


def test_a_mask_dropped_from_selection_store_is_still_recalled(cache):
    record = saved.save("cfg", "kept", masked(3, 9))
    storage.disk_cache("selections").clear()  # evicted: least recently stored goes first
    assert selection_store.get(record["key"], N) is None
    np.testing.assert_array_equal(saved.mask("cfg", "kept", N), masked(3, 9))
    np.testing.assert_array_equal(selection_store.get(record["key"], N), masked(3, 9))  # back


def test_two_processes_saving_at_once_lose_nothing(cache):
    script = (
        "import sys, numpy as np\n"
        "from latent_dash import saved_selections as s\n"
        "for i in range(40):\n"
        "    m = np.zeros(50, bool); m[i] = True\n"
        "    s.save('cfg', f'{sys.argv[1]}-{i}', m)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), storage.CACHE_ENV: str(cache)}
    workers = [
        subprocess.Popen([sys.executable, "-c", script, who], env=env, stderr=subprocess.PIPE)
        for who in ("a", "b")
    ]
    for worker in workers:
        _, error = worker.communicate(timeout=60)
        assert worker.returncode == 0, error.decode()
    listed = {r["name"] for r in saved.names("cfg")}
    assert listed == {f"{who}-{i}" for who in "ab" for i in range(40)}
    np.testing.assert_array_equal(saved.mask("cfg", "b-39", N), masked(39))


def test_csv_export_then_import_gives_the_same_selections():
    source_rows = np.arange(N) * 2 + 100  # rows were dropped: position p is file row 100 + 2p
    saved.save("cfg", "a, with comma", masked(0, 3, 49))
    saved.save("cfg", 'say "hi"', masked(3))
    text = saved.to_csv("cfg", lambda p: source_rows[p], N)
    lines = text.splitlines()
    assert lines[0] == "index,selection"
    assert lines[1:] == ['100,"a, with comma"', '106,"a, with comma"', '198,"a, with comma"',
                         '106,"say ""hi"""']  # fmt: skip
    assert saved.to_csv("cfg", source_rows, N) == text  # the array works as well

    def position_of(row: int) -> int | None:
        hit = np.flatnonzero(source_rows == row)
        return int(hit[0]) if len(hit) else None

    imported, problems = saved.from_csv("other", text, position_of, N)
    assert problems == []
    assert [r["name"] for r in imported] == ["a, with comma", 'say "hi"']
    for name in ("a, with comma", 'say "hi"'):
        np.testing.assert_array_equal(saved.mask("other", name, N), saved.mask("cfg", name, N))
    with pytest.raises(ValueError, match=r"^'a, with comma', 'say \"hi\"' are already saved"):
        saved.from_csv("other", text, source_rows, N)
    imported, _ = saved.from_csv("other", text, source_rows, N, replace=True)
    assert len(imported) == 2 and len(saved.names("other")) == 2


def test_import_reports_rows_the_dataset_does_not_have():
    text = "index,selection\n1,kept\n2,kept\n999,kept\n-4,kept\n998,gone\n"
    imported, problems = saved.from_csv("cfg", text, np.arange(N), N)
    assert [r["name"] for r in imported] == ["kept"]
    np.testing.assert_array_equal(saved.mask("cfg", "kept", N), masked(1, 2))
    assert problems == [
        "'kept': 2 rows not in this dataset were left out (-4, 999)",
        "'gone': 1 row not in this dataset was left out (998)",
        "'gone' was not imported: none of its rows are in this dataset",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("row,name\n1,a\n", "line 1: expected the header"),
        ("index,selection\n", "no rows"),
        ("index,selection\n1,a\n2\n", "line 3: expected 2 fields"),
        ("index,selection\n1,a\nx,a\n", "line 3: the index 'x' is not a whole number"),
        ("index,selection\n\n1,a\n1.5,a\n", "line 4: the index"),
        ("index,selection\n1,\n", "line 2: give the selection a name"),
        ('index,selection\n1,"a\nb"\n', "line 3: the name holds a line break"),
    ],
)
def test_a_malformed_file_names_its_line_and_saves_nothing(text, message):
    with pytest.raises(ValueError, match=message):
        saved.from_csv("cfg", text, np.arange(N), N)
    assert saved.names("cfg") == []


def test_a_sick_cache_raises_cache_unavailable(monkeypatch):
    saved.save("cfg", "a", masked(1))

    class Broken:
        def get(self, *args, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")

        def transact(self):
            raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(saved, "_store", Broken)
    with pytest.raises(storage.CacheUnavailable, match="cannot be written"):
        saved.names("cfg")
    with pytest.raises(storage.CacheUnavailable):
        saved.save("cfg", "b", masked(2))
    with pytest.raises(storage.CacheUnavailable):
        saved.delete("cfg", "a")


def test_a_locked_cache_is_reported_not_waited_on_forever(monkeypatch):
    import diskcache

    class Locked:
        def get(self, *args, **kwargs):
            return {}

        def transact(self):
            raise diskcache.Timeout

    monkeypatch.setattr(saved, "_store", Locked)
    with pytest.raises(storage.CacheUnavailable, match="locked by another process"):
        saved.save("cfg", "b", masked(2))


def test_too_many_selections_in_one_file_are_refused():
    lines = [f"{i},s{i}" for i in range(saved.MAX_IMPORT + 1)]
    with pytest.raises(ValueError, match=f"at most {saved.MAX_IMPORT} can be imported"):
        saved.from_csv("cfg", "index,selection\n" + "\n".join(lines), np.arange(N), N)
    assert saved.names("cfg") == []


def test_a_large_selection_round_trips_in_a_few_seconds():
    n = 200_000
    big = np.random.default_rng(0).random(n) < 0.5
    started = time.perf_counter()
    saved.save("cfg", "half", big)
    text = saved.to_csv("cfg", np.arange(n), n)
    imported, problems = saved.from_csv("copy", text, np.arange(n), n)
    assert time.perf_counter() - started < 5
    assert problems == [] and imported[0]["count"] == big.sum()
    np.testing.assert_array_equal(saved.mask("copy", "half", n), big)
