"""Property test: any mutation of a valid circuit loads or raises SpecError, nothing else."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from helpers import CIRCUITS, TINY_CIRCUIT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retinasim.errors import SpecError
from retinasim.spec import load_circuit

VALID_TEXTS = [TINY_CIRCUIT, *(file.read_text() for file in CIRCUITS)]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a nested dict/list structure."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def mutate(data: Any, path: tuple, action: str, value: Any, key: str) -> Any:
    data = copy.deepcopy(data)
    if not path:
        return value if action == "replace" else data
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif action == "add_key" and isinstance(parent[last], dict):
        parent[last][key] = value
    elif action == "rename" and isinstance(parent, dict):
        parent[key] = parent.pop(last)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(VALID_TEXTS),
    choice=st.integers(min_value=0),
    action=st.sampled_from(["replace", "delete", "add_key", "rename"]),
    value=values,
    key=st.text(max_size=10),
)
def test_structural_mutations_load_or_raise_spec_error(
    source: str, choice: int, action: str, value: Any, key: str
) -> None:
    data = yaml.safe_load(source)
    all_paths = paths(data)
    mutated = mutate(data, all_paths[choice % len(all_paths)], action, value, key)
    text = yaml.safe_dump(mutated, allow_unicode=True)
    try:
        load_circuit("mutated.yaml", text=text)
    except SpecError as error:
        assert error.issues
        assert all(issue.file == "mutated.yaml" for issue in error.issues)


@settings(max_examples=150, deadline=None)
@given(
    source=st.sampled_from(VALID_TEXTS),
    position=st.integers(min_value=0),
    cut=st.integers(min_value=0, max_value=20),
    insert=st.text(max_size=6),
)
def test_text_mutations_load_or_raise_spec_error(
    source: str, position: int, cut: int, insert: str
) -> None:
    position %= len(source)
    text = source[:position] + insert + source[position + cut :]
    try:
        load_circuit("edited.yaml", text=text)
    except SpecError as error:
        assert error.issues
