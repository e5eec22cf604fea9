from __future__ import annotations

from pathlib import Path

import pytest

from workerpool.common.errors import DockerUnavailable
from workerpool.compute.runtime import ContainerRun, DockerRuntime


def test_no_engine_gives_a_clear_error(tmp_path: Path) -> None:
    url = f"unix://{tmp_path}/no-docker.sock"

    with pytest.raises(DockerUnavailable, match=f"no Docker engine answers at {url}: start dockerd"):
        DockerRuntime.connect(base_url=url)


@pytest.mark.parametrize(
    ("run", "succeeded"),
    [
        (ContainerRun(0, False, "", "", 1.0), True),
        (ContainerRun(1, False, "", "", 1.0), False),
        (ContainerRun(None, True, "", "", 1.0), False),
    ],
)
def test_succeeded(run: ContainerRun, succeeded: bool) -> None:
    assert run.succeeded is succeeded
