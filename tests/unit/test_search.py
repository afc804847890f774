"""Text search over metadata columns: plain, case-sensitive, regular expressions, bad input."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from latent_dash.compute import search

NAMES = np.array(["Cat_01.png", "dog_02.png", None, np.nan, "CATALOG", "bird", 7], dtype=object)
NOTES = np.array(["", "a cat", "cat", "cat", None, "Dog", "x"], dtype=object)


def test_plain_search_ignores_case_unless_asked():
    found = search.search({"name": NAMES}, "cat")
    assert found.tolist() == [True, False, False, False, True, False, False]
    found = search.search({"name": NAMES}, "Cat", case=True)
    assert found.tolist() == [True, False, False, False, False, False, False]


def test_any_column_may_match():
    found = search.search({"name": NAMES, "note": NOTES}, "cat", case=True)
    assert found.tolist() == [False, True, True, True, False, False, False]


def test_plain_search_takes_regex_characters_literally():
    values = np.array(["a.b", "axb", "(x)", "x+"], dtype=object)
    assert search.search({"v": values}, "a.b").tolist() == [True, False, False, False]
    assert search.search({"v": values}, "(x").tolist() == [False, False, True, False]
    assert search.search({"v": values}, "x+").tolist() == [False, False, False, True]


def test_regular_expressions():
    found = search.search({"name": NAMES}, r"^[a-z]+_\d+\.png$", regex=True)
    assert found.tolist() == [True, True, False, False, False, False, False]
    found = search.search({"name": NAMES}, r"^[a-z]+_\d+\.png$", regex=True, case=True)
    assert found.tolist() == [False, True, False, False, False, False, False]
    found = search.search({"name": NAMES}, "^7$", regex=True)  # a number in a text column
    assert found.tolist() == [False] * 6 + [True]


def test_missing_values_never_match():
    values = pd.Series(["nan", None, np.nan, pd.NA, "None"], dtype=object)
    assert search.search({"v": values}, "n").tolist() == [True, False, False, False, True]
    assert search.search({"v": values}, ".*", regex=True).tolist() == [
        True, False, False, False, True,
    ]  # fmt: skip


def test_bad_queries_raise_value_errors_that_say_why():
    with pytest.raises(ValueError, match=r"not a valid regular expression: missing \)"):
        search.search({"name": NAMES}, "(cat", regex=True)
    with pytest.raises(ValueError, match="nothing to repeat"):
        search.search({"name": NAMES}, "*cat", regex=True)
    assert not search.search({"name": NAMES}, "(cat").any()  # literal: no error
    with pytest.raises(ValueError, match="look-arounds"):
        search.search({"name": NAMES}, "cat(?=alog)", regex=True)
    with pytest.raises(ValueError, match="at most 200"):
        search.search({"name": NAMES}, "c" * 201)
    with pytest.raises(ValueError, match="type some text"):
        search.search({"name": NAMES}, "")
    with pytest.raises(ValueError, match="no text columns"):
        search.search({}, "cat")
    with pytest.raises(ValueError, match="differ in length"):
        search.search({"name": NAMES, "short": NAMES[:2]}, "cat")


def test_a_catastrophic_pattern_does_not_stall():
    # Python's re takes ~2^n steps for (a+)+$ against "aaa...ab"; RE2 is linear
    values = np.array(["a" * 40 + "b"] * 1000, dtype=object)
    started = time.perf_counter()
    found = search.search({"v": values}, "(a+)+$", regex=True)
    assert not found.any()
    assert time.perf_counter() - started < 2


def test_a_million_strings_in_well_under_a_few_seconds():
    values = np.array([f"sample_{i:07d}.png" for i in range(0, 1_000_000, 5)] * 5, dtype=object)
    started = time.perf_counter()
    found = search.search({"file": values}, r"_00012\d\d", regex=True)
    assert time.perf_counter() - started < 5
    assert found.sum() == 5 * 20  # 0001200..0001299, every fifth, five times
