"""--cluster-option values go into a batch script: checked so none can add lines or run a
command (N23, #27), with one clear line for each bad value."""

from __future__ import annotations

import pytest

from retinasim.compare.cluster import ClusterError, job_script, parse_cluster_options


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("queue=debug\ntouch PWNED", "queue must be one line of text"),
        ("name=x\n#SBATCH --uid=0", "name must be one line of text"),
        ("local-directory=$(touch PWNED)", "local-directory may hold letters"),
        ("account=a;b", "account may hold letters"),
        ("python=`id`", "python may hold letters"),
        ("cores=1e23", "cores must be an integer from 1 to 4096"),
        ("jobs=99999999999999999999", "jobs must be an integer from 1 to 4096"),
        ("memory=0", "memory must be a positive size"),
        ("memory=-1GB", "memory must be a positive size"),
        ("job-extra=--exclusive\nrm -rf x", "job-extra must be one line of text"),
    ],
)
def test_values_that_could_add_lines_or_commands_are_refused(text: str, message: str) -> None:
    with pytest.raises(ClusterError, match=message):
        parse_cluster_options([text])


def test_good_values_reach_the_script_as_written() -> None:
    options = parse_cluster_options(
        ["queue=gpu-long", "memory=6GB", "walltime=02:30:00", "local-directory=/scratch/me"]
    )
    script = job_script("slurm", options)
    assert "#SBATCH -p gpu-long" in script and "/scratch/me" in script
    assert "PWNED" not in script and "$(" not in script
