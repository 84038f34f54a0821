"""The settings of a comparison, declared once: :func:`retinasim.compare.compare` takes them,
every run's :class:`~retinasim.compare.runs.RunJob` carries its part (:class:`RunSettings`),
the report lists them, and ``retinasim compare`` derives its options from the fields."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from retinasim.dissect.config import CRITICAL_THRESHOLD
from retinasim.util.settings import MAX_COUNT, MAX_SEED, Settings

KINDS = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster"}
"""``--cluster`` kinds and their dask-jobqueue classes."""
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
"""Address schemes of a Dask scheduler (``--scheduler``); none means ``tcp``."""
_ADDRESS = re.compile(
    r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+(%[\w.-]+)?)\]"  # [fe80::1] or [fe80::1%eth0]
    r"|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)"  # a host name or IPv4 address
    r":(?P<port>\d{1,5})",
    re.ASCII,
)


def scheduler_address(text: str) -> str:
    """``text`` if it reads ``[SCHEME://]HOST:PORT``, HOST a name, an IPv4 address or an IPv6
    address in brackets (``tcp://[::1]:8786``); ValueError saying what is expected."""
    expected = "expected an address such as tcp://HOST:8786 or tcp://[::1]:8786"
    scheme, _, rest = text.partition("://") if "://" in text else ("tcp", "", text)
    if scheme in ("http", "https"):
        raise ValueError(
            f"{expected}; {scheme}:// is the dashboard's, the scheduler listens on 8786 by default"
        )
    if scheme not in SCHEMES:
        raise ValueError(f"{expected} (schemes: {', '.join(SCHEMES)})")
    match = _ADDRESS.fullmatch(rest)
    if match is None or not 0 < int(match["port"]) < 65536:
        raise ValueError(expected)
    if match["ipv6"] is not None:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            raise ValueError(f"{expected}: {match['ipv6']!r} is no IPv6 address") from None
    return text


class RunSettings(Settings):
    """What every run of a comparison goes through once trained."""

    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Training overrides for every run (`retinasim train --set` keys).",
    )
    alphas: tuple[float, ...] = Field(
        (1.0, 1.7, 2.0),
        description="Test alpha (repeatable; 2 always included).",
        json_schema_extra={"option": "--alpha"},
    )
    n_eval: int = Field(
        1000,
        ge=1,
        le=MAX_COUNT,
        description="Held-out test stimuli per alpha.",
        json_schema_extra={"option": "--n"},
    )
    n_dissect: int = Field(200, ge=1, le=MAX_COUNT, description="Stimuli per lesion measurement.")
    threshold: float = Field(
        CRITICAL_THRESHOLD,
        gt=0,
        le=1,
        description="Critical: a lesioned ganglion type's accuracy below this fraction of intact.",
    )

    @field_validator("alphas")
    @classmethod
    def _with_two(cls, alphas: tuple[float, ...]) -> tuple[float, ...]:
        """Sorted, unique, finite and positive, with 2 (the lesion alpha) always in."""
        if not all(math.isfinite(a) and 0 < a <= 100 for a in alphas):
            raise ValueError("every alpha must be in (0, 100]")
        return tuple(sorted({float(a) for a in (*alphas, 2.0)}))


class CompareSettings(RunSettings):
    """A whole comparison: which seeds, where the runs go, and the runs' settings."""

    seeds: int = Field(3, ge=1, le=10_000, description="Seeds per circuit.")
    first_seed: int = Field(0, ge=0, le=MAX_SEED, description="First seed.")
    jobs: int | None = Field(None, ge=1, le=1024, description="Processes (default: one per core).")
    scheduler: str | None = Field(
        None, description="Run on the Dask scheduler at this address (tcp://HOST:8786)."
    )
    scheduler_timeout: float = Field(
        10.0,
        ge=0.1,
        le=86_400,
        description="Seconds to wait for the --scheduler to answer.",
    )
    cluster: str | None = Field(
        None, description="Start a Dask cluster on a batch system: slurm, pbs, sge or lsf."
    )
    cluster_options: dict[str, Any] = Field(
        default_factory=dict,
        description="--cluster settings (retinasim.compare.cluster.parse_cluster_options).",
    )
    reference: tuple[str, ...] = Field(
        (), description="Reference models added as one more circuit each (one seed)."
    )

    @field_validator("cluster")
    @classmethod
    def _kind(cls, cluster: str | None) -> str | None:
        if cluster is not None and cluster.lower() not in KINDS:
            raise ValueError(f"unknown kind {cluster!r} (known: {', '.join(KINDS)})")
        return None if cluster is None else cluster.lower()

    @field_validator("scheduler")
    @classmethod
    def _address(cls, scheduler: str | None) -> str | None:
        return None if scheduler is None else scheduler_address(scheduler)

    @model_validator(mode="after")
    def _one_engine(self) -> CompareSettings:
        if self.scheduler is not None and self.cluster is not None:
            raise ValueError("--scheduler and --cluster exclude each other: give one")
        if self.cluster_options and self.cluster is None:
            raise ValueError("--cluster-option and --print-job-script need --cluster KIND")
        return self

    @field_validator("reference")
    @classmethod
    def _unique(cls, reference: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(reference))

    @property
    def run(self) -> RunSettings:
        """The part every run carries."""
        return RunSettings(**{name: getattr(self, name) for name in RunSettings.model_fields})

    @property
    def distributed(self) -> bool:
        """Whether the runs go to Dask (a scheduler or a batch-system cluster)."""
        return self.scheduler is not None or self.cluster is not None
