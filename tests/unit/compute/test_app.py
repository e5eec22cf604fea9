from __future__ import annotations

from pathlib import Path

import pytest

from workerpool.common.statuses import ReplicateStatusCause as Cause
from workerpool.compute.app import AppTask, app_env, run_app, split_args
from workerpool.compute.fake import FakeRuntime, exits_with, times_out, writes_result
from workerpool.compute.layout import TaskDirs
from workerpool.compute.results import post_compute

TASK = "0x" + "ab" * 32
DEAL = "0x" + "cd" * 32
IMAGE = "iexechub/app:1"


def _task(args: str = "hello 'big world'") -> AppTask:
    return AppTask(TASK, DEAL, 3, 2, 5, IMAGE, args, 300)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ("", None),
        ("   ", None),
        ("a b  c", ["a", "b", "c"]),
        ("--name 'big world' \"x y\"", ["--name", "big world", "x y"]),
        ("C:\\path #not-a-comment", ["C:\\path", "#not-a-comment"]),
        ('say "it\'s"', ["say", "it's"]),
        ("unbalanced 'quote here", ["unbalanced", "'quote", "here"]),
        ("''", [""]),
    ],
)
def test_split_args(args: str, words: list[str] | None) -> None:
    assert split_args(args) == words


def test_app_env_matches_the_spec_table() -> None:
    env = app_env(_task())

    assert env == {
        "IEXEC_TASK_ID": TASK,
        "IEXEC_DEAL_ID": DEAL,
        "IEXEC_TASK_INDEX": "3",
        "IEXEC_BOT_TASK_INDEX": "3",
        "IEXEC_BOT_SIZE": "5",
        "IEXEC_BOT_FIRST_INDEX": "2",
        "IEXEC_IN": "/iexec_in",
        "IEXEC_OUT": "/iexec_out",
        "IEXEC_DATASET_ADDRESS": "0x" + "00" * 20,
        "IEXEC_DATASET_FILENAME": "0x" + "00" * 20,
        "IEXEC_INPUT_FILES_NUMBER": "0",
    }


def test_success_writes_logs_and_the_container_spec_is_right(tmp_path: Path) -> None:
    runtime = FakeRuntime(images=[IMAGE], behaviours={IMAGE: writes_result({"result.txt": "42"}, stdout="done\n")})
    dirs = TaskDirs.for_task(tmp_path, "w1", TASK)

    outcome = run_app(runtime, _task(), dirs, worker_name="w1", memory_bytes=1 << 28)

    assert outcome.succeeded and outcome.exit_code == 0
    assert (dirs.iexec_out / "stdout.txt").read_text() == "done\n"
    assert not (dirs.iexec_out / "stderr.txt").exists()  # empty logs are not written
    spec = runtime.runs[0]
    assert spec.name == f"w1-{TASK}"
    assert spec.cmd == ["hello", "big world"]
    assert spec.binds == {str(dirs.input_dir): "/iexec_in", str(dirs.iexec_out): "/iexec_out"}
    assert spec.timeout_s == 300 and spec.memory_bytes == 1 << 28
    assert post_compute(dirs).ok


def test_failure_keeps_logs_out_of_the_result(tmp_path: Path) -> None:
    runtime = FakeRuntime(images=[IMAGE], behaviours={IMAGE: exits_with(3, stdout="o", stderr="boom")})
    dirs = TaskDirs.for_task(tmp_path, "w1", TASK)

    outcome = run_app(runtime, _task(), dirs, worker_name="w1")

    assert outcome.cause is Cause.APP_COMPUTE_FAILED
    assert outcome.exit_code == 3 and outcome.stderr == "boom"
    assert list(dirs.iexec_out.iterdir()) == []


def test_timeout(tmp_path: Path) -> None:
    runtime = FakeRuntime(images=[IMAGE], behaviours={IMAGE: times_out(stdout="partial")})

    outcome = run_app(runtime, _task(), TaskDirs.for_task(tmp_path, "w1", TASK), worker_name="w1")

    assert outcome.cause is Cause.APP_COMPUTE_TIMEOUT
    assert outcome.exit_code is None and outcome.stdout == "partial"


def test_image_missing_locally(tmp_path: Path) -> None:
    runtime = FakeRuntime()

    outcome = run_app(runtime, _task(), TaskDirs.for_task(tmp_path, "w1", TASK), worker_name="w1")

    assert outcome.cause is Cause.APP_NOT_FOUND_LOCALLY
    assert runtime.runs == []


def test_image_vanishing_between_check_and_run(tmp_path: Path) -> None:
    class Vanishing(FakeRuntime):
        def is_image_present(self, image: str) -> bool:
            return True

    outcome = run_app(Vanishing(), _task(), TaskDirs.for_task(tmp_path, "w1", TASK), worker_name="w1")

    assert outcome.cause is Cause.APP_NOT_FOUND_LOCALLY
