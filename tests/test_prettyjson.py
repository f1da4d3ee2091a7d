"""prettyjson.dumps writes what json.dumps(..., ensure_ascii=False, indent=2) writes, for every JSON value."""

from __future__ import annotations

import json
from collections import OrderedDict

from hypothesis import given
from hypothesis import strategies as st

from caim import prettyjson

leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children) | st.dictionaries(st.text(), children) | st.tuples(children, children)
    ),
    max_leaves=40,
)


@given(values)
def test_any_json_value_is_written_as_the_standard_library_writes_it(value):
    assert prettyjson.dumps(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_what_it_does_not_know_is_left_to_the_standard_library():
    odd = {1: "an int key", "nested": [{None: True}], "ordered": OrderedDict(b=1, a=2)}
    assert prettyjson.dumps(odd) == json.dumps(odd, ensure_ascii=False, indent=2)
    assert prettyjson.dumps({"é": '\u2028 "quoted" \\ \n'}) == '{\n  "é": "\u2028 \\"quoted\\" \\\\ \\n"\n}'
