"""Recurrent circuits in the spec (#25): delayed connections may close cycles and connect a
layer to itself, ``upsample`` lets a coarse map feed a finer one; the order of the layers of
every feed-forward circuit is unchanged."""

from __future__ import annotations

from graphlib import TopologicalSorter
from pathlib import Path

import jsonschema
import pytest
import yaml
from helpers import CIRCUITS, ROOT, TINY_CIRCUIT

from retinasim.errors import SpecError
from retinasim.spec import CircuitSpec, ConnectionSpec, layer_sizes, load_circuit, spec_hash
from retinasim.spec import topological_order as order_of
from retinasim.spec.graph import component_order, output_size, recurrent_components
from retinasim.spec.schema import circuit_json_schema

MURRAY = (ROOT / "circuits" / "murray2021.yaml").read_text()
# amacrine 12x12, upsampled 4x to 48x48, kernel 3 with padding 2: 50x50, the bipolar map
FEEDBACK = "{source: amacrine, target: bipolar, kernel: 3, padding: 2, upsample: 4, delay: 1}"


def with_connection(text: str, connection: str) -> tuple[str, int]:
    """``text`` with ``connection`` appended to its connections, and the line it is on."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("readout:"))
    lines.insert(at, f"  - {connection}\n")
    return "".join(lines), at + 1


def issues(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_circuit("c.yaml", text=text)
    return [str(issue) for issue in caught.value.issues]


def test_feedback_with_a_delay_and_upsampling_validates() -> None:
    text, _ = with_connection(MURRAY, FEEDBACK)
    spec = load_circuit("feedback.yaml", text=text)
    assert spec.connections[-1].delay == 1
    assert spec.connections[-1].upsample == (4, 4)
    assert layer_sizes(spec)["bipolar"] == (50, 50)
    assert output_size((12, 12), spec.connections[-1]) == (50, 50)
    assert order_of(spec) == order_of(load_circuit("murray2021.yaml", text=MURRAY))
    assert recurrent_components(spec) == [("bipolar", "amacrine")]
    assert component_order(spec) == [("bipolar", "amacrine"), ("ganglion",)]


def test_feedback_without_a_delay_is_refused_at_its_line_naming_the_cycle() -> None:
    text, line = with_connection(MURRAY, FEEDBACK.replace("delay: 1", "delay: 0"))
    assert issues(text) == [
        f"c.yaml:{line}:5: connections[4]: connections form a cycle without a delay through "
        "amacrine, bipolar; give one of its connections delay >= 1"
    ]


def test_a_layer_connects_to_itself_only_with_a_delay() -> None:
    lateral = "{source: amacrine, target: amacrine, kernel: 3, padding: 1}"
    text, line = with_connection(MURRAY, lateral)
    assert issues(text) == [
        f"c.yaml:{line}:5: connections[4]: layer 'amacrine' connects to itself without a "
        "delay; give this connection delay >= 1"
    ]
    text, _ = with_connection(MURRAY, lateral.replace("}", ", delay: 1}"))
    spec = load_circuit("lateral.yaml", text=text)
    assert recurrent_components(spec) == [("amacrine",)]
    assert component_order(spec) == [("bipolar",), ("amacrine",), ("ganglion",)]


def test_upsampled_feedback_whose_size_disagrees_is_refused_with_the_sizes() -> None:
    text, line = with_connection(MURRAY, FEEDBACK.replace("padding: 2", "padding: 1"))
    assert issues(text) == [
        f"c.yaml:{line}:5: connections[4]: amacrine -> bipolar gives a 48x48 map (from the "
        "12x12 amacrine map upsampled 4x4 to 48x48) but connections[0] (input -> bipolar) "
        "gives 50x50; inputs to one layer must agree"
    ]


def test_a_kernel_that_does_not_fit_the_upsampled_map_says_the_upsampled_size() -> None:
    text = TINY_CIRCUIT.replace(
        "connections:", "  - {name: wide, cell_type: spatiotemporal, n_types: 1}\nconnections:"
    )
    text, line = with_connection(text, "{source: bipolar, target: wide, kernel: 16, upsample: 2}")
    assert load_circuit("c.yaml", text=text).connections[-1].upsample == (2, 2)  # 30x30 fits
    assert issues(text.replace("upsample: 2", "upsample: [1, 2]")) == [
        f"c.yaml:{line}:45: connections[2].kernel: kernel (16, 16) with stride (1, 1) and "
        "padding (0, 0) does not fit the bipolar map of size (15, 15) upsampled by (1, 2) to "
        "(15, 30)"
    ]


def test_a_layer_whose_size_only_its_own_feedback_fixes_is_refused() -> None:
    text = TINY_CIRCUIT.replace(
        "  - {source: bipolar, target: ganglion, kernel: 3}\n",
        "  - {source: ganglion, target: bipolar, kernel: 3, delay: 2}\n"
        "  - {source: bipolar, target: ganglion, kernel: 3}\n",
    ).replace("  - {source: input, target: bipolar, kernel: 4, stride: 2}\n", "")
    found = issues(text)
    assert len(found) == 1
    assert found[0].startswith("c.yaml:4:5: layers[0]: the size of layer 'bipolar' cannot be ")
    assert "(bipolar, ganglion)" in found[0]


def test_feedback_from_a_layer_sized_later_sizes_a_layer_it_alone_feeds() -> None:
    text = TINY_CIRCUIT.replace(
        "connections:",
        "  - {name: echo, cell_type: spatiotemporal, n_types: 1}\nconnections:",
    )
    text, _ = with_connection(text, "{source: ganglion, target: echo, kernel: 1, delay: 1}")
    text, _ = with_connection(text, "{source: echo, target: bipolar, kernel: 3, padding: 2}")
    spec = load_circuit("c.yaml", text=text)
    assert layer_sizes(spec) == {
        "input": (32, 32),
        "bipolar": (15, 15),
        "ganglion": (13, 13),
        "echo": (13, 13),
    }
    assert order_of(spec) == ["echo", "bipolar", "ganglion"]  # echo has no undelayed source
    assert component_order(spec) == [("echo", "bipolar", "ganglion")]


def test_delays_do_not_hide_a_cycle_without_one_in_a_file_that_is_invalid_elsewhere() -> None:
    broken = TINY_CIRCUIT.replace("frames: 8", "frames: 0")  # reported by the model
    text, line = with_connection(broken, "{source: ganglion, target: bipolar, kernel: 1}")
    found = issues(text)
    assert f"c.yaml:{line}:5: connections[2]: connections form a cycle without a delay" in (
        " ".join(found)
    )
    for delay in ("1", "-1", "x"):  # a delay, or an invalid one (reported): no cycle error
        text, _ = with_connection(
            broken, f"{{source: ganglion, target: bipolar, kernel: 1, delay: {delay}}}"
        )
        assert not any("cycle" in issue for issue in issues(text))


def _old_order(spec: CircuitSpec) -> list[str]:
    """The order before delays existed: wave by wave over every connection, file order."""
    names = [layer.name for layer in spec.layers]
    graph = {n: {c.source for c in spec.connections if c.target == n} - {"input"} for n in names}
    sorter = TopologicalSorter(graph)
    sorter.prepare()
    order: list[str] = []
    while wave := sorted(sorter.get_ready(), key=names.index):
        order += wave
        sorter.done(*wave)
    return order


FEEDFORWARD = [
    file
    for file in [*CIRCUITS, *sorted((ROOT / "circuits" / "test").glob("*.yaml"))]
    if not any(c.delay for c in load_circuit(file).connections)
]
"""The shipped circuits without delayed connections, whose order predates #25."""


@pytest.mark.parametrize("file", FEEDFORWARD, ids=lambda f: f.stem)
def test_the_layer_order_of_every_shipped_circuit_is_unchanged(file: Path) -> None:
    spec = load_circuit(file)
    assert order_of(spec) == _old_order(spec)
    assert component_order(spec) == [(name,) for name in order_of(spec)]
    assert recurrent_components(spec) == []
    # a delayed connection from the last layer back onto the first changes no order
    first, last = order_of(spec)[0], order_of(spec)[-1]
    loop = ConnectionSpec(source=last, target=first, kernel=1, delay=1)
    recurrent = spec.model_copy(update={"connections": [*spec.connections, loop]})
    assert order_of(recurrent) == order_of(spec)
    assert recurrent_components(recurrent) != []


@pytest.mark.parametrize(
    ("key", "value"), [("delay", -1), ("delay", 1.5), ("upsample", 0), ("upsample", [2, 0])]
)
def test_negative_delays_and_zero_upsampling_are_refused_by_model_and_schema(
    key: str, value: object
) -> None:
    data = yaml.safe_load(TINY_CIRCUIT)
    data["connections"][1][key] = value
    assert list(jsonschema.Draft7Validator(circuit_json_schema()).iter_errors(data))
    found = issues(yaml.safe_dump(data))
    assert len(found) == 1 and f"connections[1].{key}" in found[0]


def test_defaults_keep_the_hash_of_every_circuit() -> None:
    spec = load_circuit("c.yaml", text=TINY_CIRCUIT)
    spelled = TINY_CIRCUIT.replace(
        "ganglion, kernel: 3}", "ganglion, kernel: 3, delay: 0, upsample: 1}"
    )
    assert spec_hash(load_circuit("d.yaml", text=spelled)) == spec_hash(spec)
    delayed = TINY_CIRCUIT.replace("ganglion, kernel: 3}", "ganglion, kernel: 3, delay: 1}")
    assert spec_hash(load_circuit("e.yaml", text=delayed)) != spec_hash(spec)


def test_the_reference_example_validates() -> None:
    from retinasim.spec.reference import RECURRENT_EXAMPLE

    text = MURRAY.replace("readout:\n", RECURRENT_EXAMPLE + "readout:\n", 1)
    spec = load_circuit("example.yaml", text=text)
    assert recurrent_components(spec) == [("bipolar", "amacrine")]


def test_a_delayed_upsampled_feedback_connection_compiles_into_a_recurrent_component() -> None:
    from retinasim.compile import compile_circuit

    text, _ = with_connection(MURRAY, FEEDBACK)
    circuit = compile_circuit(load_circuit("feedback.yaml", text=text))
    assert circuit.plan.recurrent == (("bipolar", "amacrine"),)
    plan = circuit.connection("amacrine->bipolar").plan
    assert (plan.delay, plan.upsample) == (1, (4, 4))
