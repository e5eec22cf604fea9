from __future__ import annotations

from pathlib import Path

from workerpool.compute.computed import ComputedFile, read_computed, write_computed


def test_kebab_case_keys_are_read_and_unknown_ignored(tmp_path: Path) -> None:
    path = tmp_path / "computed.json"
    path.write_text(
        '{"deterministic-output-path": "/iexec_out/r.txt", "callback-data": "0x01", "task-id": "0xt",'
        ' "result-digest": "0xd", "enclave-signature": "0xs", "error-message": "e", "something": 1}'
    )

    assert read_computed(path) == ComputedFile("/iexec_out/r.txt", "0x01", "0xt", "0xd", "0xs", "e")


def test_missing_keys_and_non_strings_are_none(tmp_path: Path) -> None:
    path = tmp_path / "computed.json"
    path.write_text('{"deterministic-output-path": 5}')

    assert read_computed(path) == ComputedFile()


def test_missing_or_invalid_file_gives_none(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")

    assert read_computed(tmp_path / "absent.json") is None
    assert read_computed(tmp_path / "bad.json") is None
    assert read_computed(tmp_path / "list.json") is None


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    computed = ComputedFile(deterministic_output_path="/iexec_out/error.txt")

    write_computed(tmp_path / "c.json", computed)

    assert read_computed(tmp_path / "c.json") == computed
    assert computed.to_dict()["callback-data"] is None
