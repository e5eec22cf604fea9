from __future__ import annotations

import stat
from pathlib import Path

import pytest

from workerpool.compute.layout import TaskDirs, worker_dir_tasks

TASK = "0x" + "ab" * 32


def test_paths_follow_the_spec_layout(tmp_path: Path) -> None:
    dirs = TaskDirs.for_task(tmp_path, "worker-1", TASK)

    assert dirs.task_dir == tmp_path / "worker-1" / TASK
    assert dirs.input_dir == dirs.task_dir / "input"
    assert dirs.output_dir == dirs.task_dir / "output"
    assert dirs.iexec_out == dirs.task_dir / "output" / "iexec_out"
    assert dirs.zip_path == dirs.task_dir / "output" / "iexec_out.zip"
    assert dirs.computed_json == dirs.task_dir / "output" / "computed.json"


def test_create_makes_world_writable_mount_points_and_remove_deletes(tmp_path: Path) -> None:
    dirs = TaskDirs.for_task(tmp_path, "w", TASK)

    dirs.create()
    dirs.create()  # idempotent

    assert stat.S_IMODE(dirs.input_dir.stat().st_mode) == 0o777
    assert stat.S_IMODE(dirs.iexec_out.stat().st_mode) == 0o777
    (dirs.iexec_out / "result.txt").write_text("x")
    dirs.remove()
    assert not dirs.task_dir.exists()
    dirs.remove()  # already gone: no error
    assert not dirs.task_dir.exists()


@pytest.mark.parametrize("bad", ["..", "a/b", "", ".", "x y"])
def test_names_that_would_escape_are_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="folder name"):
        TaskDirs.for_task(tmp_path, "w", bad)


def test_worker_dir_tasks_lists_task_folders_only(tmp_path: Path) -> None:
    assert worker_dir_tasks(tmp_path, "w") == []
    for task in ("0x02", "0x01"):
        TaskDirs.for_task(tmp_path, "w", task).create()
    (tmp_path / "w" / "stray-file").write_text("not a task")

    assert worker_dir_tasks(tmp_path, "w") == ["0x01", "0x02"]
