"""Find samples by their text: which samples' text columns contain a string or match a pattern.

Searching runs in Apache Arrow's compute kernels (pyarrow is already a dependency): a million
strings take a few tenths of a second, mostly to convert them to Arrow.

Regular expressions run on RE2 (Arrow's engine), which matches in time linear in the text:
a pattern that makes Python's backtracking engine run for hours (`(a+)+$` on a long "aaaa...b")
cannot stall a server worker. The price is RE2's syntax: no look-arounds and no
backreferences; such a pattern is refused with a ValueError saying so. Queries are also capped
at `MAX_QUERY` characters, which bounds RE2's compiled program (its memory and compile time).

A query is first compiled by Python's `re`, so a broken pattern is reported with the message
people know (`missing ), unterminated subpattern at position 0`). Missing values (None, NaN,
pandas NA) never match; other non-text values (numbers in a text column) are matched as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_QUERY = 200  # characters; longer queries are refused


def check_query(query: str, regex: bool = False) -> None:
    """Raise ValueError (saying what is wrong) unless `query` can be searched for."""
    if not isinstance(query, str) or not query:
        raise ValueError("type some text to search for")
    if len(query) > MAX_QUERY:
        raise ValueError(f"the search text has {len(query)} characters; at most {MAX_QUERY}")
    if regex:
        try:
            re.compile(query)
        except re.error as error:
            raise ValueError(f"not a valid regular expression: {error}") from None


def _as_arrow(values: np.ndarray | pd.Series | list) -> pa.Array:
    """Text values as an Arrow string array; missing values are nulls, others their str()."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, object))
    return pa.array(series.astype(object).astype("string[pyarrow]"))


def matches(
    values: np.ndarray | pd.Series | list, query: str, regex: bool, case: bool
) -> np.ndarray:
    """(n,) bool: which values contain `query` (a checked query, see `check_query`)."""
    array = _as_arrow(values)
    try:
        if regex:
            found = pc.match_substring_regex(array, query, ignore_case=not case)
        else:
            found = pc.match_substring(array, query, ignore_case=not case)
    except pa.ArrowInvalid as error:
        reason = str(error).removeprefix("Invalid regular expression: ")
        raise ValueError(
            f"this regular expression cannot be searched ({reason}); look-arounds and "
            r"backreferences (\1) are not supported"
        ) from None
    return np.asarray(pc.fill_null(found, False).to_numpy(zero_copy_only=False), dtype=bool)


def search(
    texts: Mapping[str, np.ndarray | pd.Series | list],
    query: str,
    regex: bool = False,
    case: bool = False,
) -> np.ndarray:
    """(n,) bool mask: the samples any of whose text columns contain `query`.

    `texts` maps column names to their values (all of length n). With `regex`, `query` is a
    regular expression found anywhere in the text (anchor it with ^ and $ to match whole
    values); `case` makes the search case-sensitive. Raises ValueError for an empty, too long
    or invalid query, with a message for the user.
    """
    check_query(query, regex)
    if not texts:
        raise ValueError("there are no text columns to search")
    lengths = {name: len(values) for name, values in texts.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"the text columns differ in length: {lengths}")
    mask = np.zeros(next(iter(lengths.values())), dtype=bool)
    for values in texts.values():
        mask |= matches(values, query, regex, case)
    return mask
