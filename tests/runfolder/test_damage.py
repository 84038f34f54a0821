"""Any damage to a run-folder file (zero bytes, truncation, random bytes, JSON of the wrong
type) is one RunFolderError naming the file and how to regenerate it: never a traceback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retinasim.run_folder import check_run_files, read_json, read_netcdf, read_table
from retinasim.training.errors import RunFolderError

JSON_FILES = ["metrics.json", "provenance.json", "history.json", "analysis/summary.json",
              "analysis/critical.json", "analysis/config.json"]  # fmt: skip
NETCDF_FILES = ["evaluation.nc", "analysis/psychometric.nc"]
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def refused(path: Path) -> str:
    with pytest.raises(RunFolderError) as caught:
        (read_json if path.suffix == ".json" else read_netcdf)(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert "rerun `retinasim" in message or "retrain" in message or "delete it" in message
    return message


@pytest.fixture(scope="module")
def originals(trained_template: Path) -> dict[str, bytes]:
    return {name: (trained_template / name).read_bytes() for name in JSON_FILES + NETCDF_FILES}


@pytest.mark.parametrize("name", JSON_FILES + NETCDF_FILES)
def test_zero_byte_files_are_refused(trained: Path, name: str) -> None:
    (trained / name).write_bytes(b"")
    assert "is empty" in refused(trained / name)


@pytest.mark.parametrize("name", JSON_FILES + NETCDF_FILES)
def test_a_folder_in_place_of_a_file_is_refused(trained: Path, name: str) -> None:
    (trained / name).unlink()
    (trained / name).mkdir()
    assert "is a folder" in refused(trained / name)


@SETTINGS
@given(data=st.data())
def test_truncated_files_are_refused(
    trained: Path, originals: dict[str, bytes], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(JSON_FILES + NETCDF_FILES))
    raw = originals[name]
    cut = data.draw(st.integers(1, len(raw) - 2))
    if name.endswith(".json") and not raw[:cut].strip(b"\n "):
        return
    if name.endswith(".json"):
        try:  # a prefix that is still a whole JSON document of the right shape is fine
            json.loads(raw[:cut])
            return
        except ValueError:
            pass
    (trained / name).write_bytes(raw[:cut])
    refused(trained / name)


@SETTINGS
@given(data=st.data())
def test_random_bytes_are_refused(trained: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(JSON_FILES + NETCDF_FILES))
    junk = data.draw(st.binary(min_size=1, max_size=300))
    try:
        json.loads(junk)
        return  # valid JSON by chance: the wrong-type test covers it
    except ValueError:
        pass
    (trained / name).write_bytes(junk)
    refused(trained / name)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@SETTINGS
@given(data=st.data())
def test_json_of_the_wrong_type_is_refused(trained: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["metrics.json", "provenance.json", "history.json"]))
    want_list = name == "history.json"
    value = data.draw(JSON_VALUES.filter(lambda v: isinstance(v, list) != want_list))
    if isinstance(value, dict) and not want_list:
        return
    (trained / name).write_text(json.dumps(value))
    refused(trained / name)


@pytest.mark.parametrize(
    "rows",
    [[{"loss": 1}], [{"step": -1}], [{"step": "3"}], [5], [{"step": 1, "wall_time_s": "x"}]],
)
def test_history_rows_without_a_valid_step_are_refused(trained: Path, rows: list) -> None:
    (trained / "history.json").write_text(json.dumps(rows))
    refused(trained / "history.json")


def test_the_whole_folder_check_names_the_damaged_file(trained: Path) -> None:
    check_run_files(trained)  # intact
    shutil.copy(trained / "metrics.json", trained / "analysis" / "psychometric.nc")
    with pytest.raises(RunFolderError, match=r"psychometric.nc: .*--only behaviour"):
        check_run_files(trained)
    check_run_files(trained, skip_steps=("behaviour",))  # about to be rewritten


@pytest.mark.parametrize(
    ("text", "problem"),
    [("garbage,,\n\x00\x01zz\n", "lacks the column(s) layer, dsi, critical"), ("", "readable")],
)
def test_a_cell_types_table_without_its_columns_is_refused(
    trained: Path, text: str, problem: str
) -> None:
    """D7's remnant: a garbage ``cell_types.csv`` was embedded in the report as it was."""
    path = trained / "analysis" / "cell_types.csv"
    path.write_text("cell_type,layer,dsi,critical\ng0,ganglion,0.5,True\n")
    table = read_table(path)
    assert table is not None and table.loc["g0", "dsi"] == 0.5
    path.write_text(text)
    with pytest.raises(RunFolderError, match=rf"cell_types.csv: .*{re.escape(problem)}.* --only"):
        read_table(path)
    with pytest.raises(RunFolderError, match=r"cell_types\.csv"):
        check_run_files(trained)
