"""Result digest vectors from worker-spec 5.8 (the iexec-worker test resources)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from eth_utils.crypto import keccak

from workerpool.compute.computed import ComputedFile
from workerpool.compute.digest import callback_digest, host_path, result_digest

# iexec-worker src/test/resources/tmp/test-worker/deterministic-output-directory/
#   output/iexec_out/computed.json
DIRECTORY_VECTOR_COMPUTED_JSON = '{\n  "deterministic-output-path": "/iexec_out"\n}'
DIRECTORY_VECTOR_DIGEST = "0xc6114778cc5c33db5fbbd4d0f9be116ed0232961045341714aba5a72d3ef7402"
TRACE = "Detected face in image1.jpg\nDetected face in image4.jpg\nDetected face in image5.jpg\nEnd compute"
TRACE_DIGEST = "0x09b727883db89fa3b3504f83e0c67d04a0d4fc35a9670cc4517c49d2a27ad171"
CALLBACK_DATA = "0x" + "00" * 31 + "01"
CALLBACK_DIGEST = "0xb10e2d527612073b26eecdfd717e6a320cf44b4afac2b0732d9fcbe2b7fa0cf6"


def _output(tmp_path: Path, files: dict[str, str]) -> Path:
    out = tmp_path / "output"
    (out / "iexec_out").mkdir(parents=True)
    for name, text in files.items():
        (out / "iexec_out" / name).write_text(text)
    return out


def test_directory_vector(tmp_path: Path) -> None:
    output = _output(
        tmp_path,
        {
            "computed.json": DIRECTORY_VECTOR_COMPUTED_JSON,
            "result1.txt": "A result",
            "result2.txt": "Another result",
        },
    )

    digest = result_digest(output, ComputedFile(deterministic_output_path="/iexec_out"), has_callback=False)

    assert digest == DIRECTORY_VECTOR_DIGEST


def test_file_vector(tmp_path: Path) -> None:
    output = _output(tmp_path, {"computing-trace.txt": TRACE})
    computed = ComputedFile(deterministic_output_path="/iexec_out/computing-trace.txt")

    assert result_digest(output, computed, has_callback=False) == TRACE_DIGEST


def test_callback_vector_ignores_files(tmp_path: Path) -> None:
    computed = ComputedFile(deterministic_output_path="/iexec_out/absent", callback_data=CALLBACK_DATA)

    assert result_digest(tmp_path, computed, has_callback=True) == CALLBACK_DIGEST


@pytest.mark.parametrize("data", [None, "", "0x", "0xzz"])
def test_callback_without_usable_data_fails(data: str | None) -> None:
    assert callback_digest(data) is None


def test_directory_digest_is_not_recursive_and_sorted_by_name(tmp_path: Path) -> None:
    output = _output(tmp_path, {"b.txt": "B", "a.txt": "A"})
    (output / "iexec_out" / "sub").mkdir()
    (output / "iexec_out" / "sub" / "deep.txt").write_text("ignored")
    expected = "0x" + keccak(hashlib.sha256(b"A").digest() + hashlib.sha256(b"B").digest()).hex()

    digest = result_digest(output, ComputedFile(deterministic_output_path="/iexec_out/"), has_callback=False)

    assert digest == expected


@pytest.mark.parametrize("path", [None, "", "/iexec_out/missing.txt", "/../../etc/passwd", "/iexec_out/../../x"])
def test_missing_or_escaping_path_fails(tmp_path: Path, path: str | None) -> None:
    output = _output(tmp_path, {"result.txt": "r"})

    assert result_digest(output, ComputedFile(deterministic_output_path=path), has_callback=False) is None


def test_symlink_is_never_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    output = _output(tmp_path, {})
    (output / "iexec_out" / "link.txt").symlink_to(secret)
    (output / "iexec_out" / "linkdir").symlink_to(tmp_path)

    as_file = result_digest(output, ComputedFile("/iexec_out/link.txt"), has_callback=False)
    through_dir = result_digest(output, ComputedFile("/iexec_out/linkdir/secret.txt"), has_callback=False)

    assert as_file == "0x" + hashlib.sha256(b"").hexdigest()
    assert through_dir is None


def test_host_path_maps_container_paths(tmp_path: Path) -> None:
    root = tmp_path.resolve()

    assert host_path(tmp_path, "/iexec_out/a/b.txt") == root / "iexec_out" / "a" / "b.txt"
    assert host_path(tmp_path, "/") == root
    assert host_path(tmp_path, "/../x") is None
