from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from workerpool.common.errors import ResultVerificationFailed
from workerpool.common.statuses import ReplicateStatusCause as Cause
from workerpool.compute.layout import TaskDirs
from workerpool.compute.results import (
    computed_digest,
    digest_of_result_zip,
    post_compute,
    read_computed,
    write_error_result,
)

TASK = "0x" + "ab" * 32


@pytest.fixture
def dirs(tmp_path: Path) -> TaskDirs:
    task_dirs = TaskDirs.for_task(tmp_path, "worker", TASK)
    task_dirs.create()
    return task_dirs


def _write(dirs: TaskDirs, files: dict[str, str], computed: dict[str, str] | None) -> None:
    for name, text in files.items():
        (dirs.iexec_out / name).write_text(text)
    if computed is not None:
        (dirs.iexec_out / "computed.json").write_text(json.dumps(computed))


def _sha(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def test_success_zips_copies_and_digests(dirs: TaskDirs) -> None:
    _write(dirs, {"result.txt": "42"}, {"deterministic-output-path": "/iexec_out/result.txt"})

    outcome = post_compute(dirs)

    assert outcome.ok and outcome.cause is None
    assert outcome.digest == _sha("42")
    assert outcome.computed is not None and outcome.computed.task_id == TASK
    assert read_computed(dirs.computed_json) == read_computed(dirs.iexec_out / "computed.json")
    with zipfile.ZipFile(dirs.zip_path) as archive:
        assert sorted(archive.namelist()) == ["computed.json", "result.txt"]


def test_rerun_gives_same_zip_and_overwrites_copy(dirs: TaskDirs) -> None:
    _write(dirs, {"result.txt": "42"}, {"deterministic-output-path": "/iexec_out/result.txt"})
    first = post_compute(dirs)
    first_zip = dirs.zip_path.read_bytes()

    second = post_compute(dirs)

    assert second.digest == first.digest
    assert dirs.zip_path.read_bytes() == first_zip


def test_too_long_file_name(dirs: TaskDirs) -> None:
    _write(dirs, {"x" * 32: "r"}, {"deterministic-output-path": "/iexec_out"})

    assert post_compute(dirs).cause is Cause.POST_COMPUTE_TOO_LONG_RESULT_FILE_NAME


def test_31_char_name_is_fine(dirs: TaskDirs) -> None:
    _write(dirs, {"x" * 31: "r"}, {"deterministic-output-path": "/iexec_out"})

    assert post_compute(dirs).ok


def test_missing_computed_json(dirs: TaskDirs) -> None:
    _write(dirs, {"result.txt": "r"}, None)

    outcome = post_compute(dirs)

    assert outcome.cause is Cause.POST_COMPUTE_COMPUTED_FILE_NOT_FOUND
    assert dirs.zip_path.exists()  # zipped before the copy step, as in the Java worker


def test_unparsable_computed_json(dirs: TaskDirs) -> None:
    (dirs.iexec_out / "computed.json").write_text("{oops")

    assert post_compute(dirs).cause is Cause.POST_COMPUTE_COMPUTED_FILE_NOT_FOUND


def test_digest_failure(dirs: TaskDirs) -> None:
    _write(dirs, {}, {"deterministic-output-path": "/iexec_out/nothing.txt"})

    outcome = post_compute(dirs)

    assert outcome.cause is Cause.POST_COMPUTE_RESULT_DIGEST_COMPUTATION_FAILED
    assert outcome.digest is None


def test_callback_task_digest(dirs: TaskDirs) -> None:
    _write(dirs, {}, {"callback-data": "0x" + "00" * 31 + "01"})

    outcome = post_compute(dirs, has_callback=True)

    assert outcome.digest == "0xb10e2d527612073b26eecdfd717e6a320cf44b4afac2b0732d9fcbe2b7fa0cf6"


def test_a_declared_result_digest_is_ignored_so_the_requester_can_verify(dirs: TaskDirs) -> None:
    declared = "0x" + "11" * 32
    computed = {"deterministic-output-path": "/iexec_out/result.txt", "result-digest": declared}
    _write(dirs, {"result.txt": "42"}, computed)

    outcome = post_compute(dirs)

    assert outcome.digest == _sha("42")
    assert digest_of_result_zip(dirs.zip_path.read_bytes()) == outcome.digest
    assert computed_digest(dirs, read_computed(dirs.computed_json)) == outcome.digest  # what a restart restores


def test_error_hook_result_is_deterministic(tmp_path: Path) -> None:
    digests = []
    for worker in ("w1", "w2"):
        task_dirs = TaskDirs.for_task(tmp_path, worker, TASK)
        write_error_result(task_dirs, "APP_DOWNLOAD_FAILED", ["APP_IMAGE_DOWNLOAD_FAILED"])
        digests.append(post_compute(task_dirs).digest)

    text = (TaskDirs.for_task(tmp_path, "w1", TASK).iexec_out / "error.txt").read_text()
    assert text == (
        "[IEXEC] Errors occurred while computing the task "
        "[error:APP_DOWNLOAD_FAILED, causes:[APP_IMAGE_DOWNLOAD_FAILED]]"
    )
    assert digests[0] == digests[1] == _sha(text)


def test_requester_digest_matches_worker_digest_for_a_directory(dirs: TaskDirs) -> None:
    _write(dirs, {"a.txt": "A", "b.txt": "B"}, {"deterministic-output-path": "/iexec_out"})
    (dirs.iexec_out / "sub").mkdir()
    (dirs.iexec_out / "sub" / "c.txt").write_text("C")

    outcome = post_compute(dirs)

    assert outcome.digest is not None
    assert digest_of_result_zip(dirs.zip_path.read_bytes()) == outcome.digest


def _zip(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_requester_rejects_bad_zips() -> None:
    with pytest.raises(ResultVerificationFailed, match="not a readable zip"):
        digest_of_result_zip(b"garbage")
    with pytest.raises(ResultVerificationFailed, match="no readable computed.json"):
        digest_of_result_zip(_zip({"result.txt": "r"}))
    with pytest.raises(ResultVerificationFailed, match="no result digest"):
        digest_of_result_zip(_zip({"computed.json": '{"deterministic-output-path": "/iexec_out/x"}'}))
    with pytest.raises(ResultVerificationFailed, match="outside the result folder"):
        digest_of_result_zip(_zip({"../../computed.json": "{}"}))
