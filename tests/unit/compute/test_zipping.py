from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from workerpool.common.errors import ResultVerificationFailed
from workerpool.compute.zipping import safe_extract, zip_folder, zip_folder_bytes


def _tree(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "b.txt").write_text("B")
    (root / "a.txt").write_text("A")
    (root / "sub" / "c.txt").write_text("C")
    return root


def test_same_content_gives_same_bytes(tmp_path: Path) -> None:
    first = _tree(tmp_path / "one")
    second = _tree(tmp_path / "two")
    os.utime(second / "a.txt", (1_000_000, 1_000_000))

    assert zip_folder_bytes(first) == zip_folder_bytes(second)


def test_entries_are_relative_and_sorted(tmp_path: Path) -> None:
    folder = _tree(tmp_path / "iexec_out")
    zip_path = tmp_path / "out.zip"

    zip_folder(folder, zip_path)

    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["a.txt", "b.txt", "sub/", "sub/c.txt"]
        assert archive.read("sub/c.txt") == b"C"
    assert not (tmp_path / "out.zip.partial").exists()


def test_symlinks_become_empty_entries(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    folder = tmp_path / "iexec_out"
    folder.mkdir()
    (folder / "link").symlink_to(secret)

    with zipfile.ZipFile(io.BytesIO(zip_folder_bytes(folder))) as archive:
        assert archive.read("link") == b""


def test_extract_round_trips(tmp_path: Path) -> None:
    data = zip_folder_bytes(_tree(tmp_path / "src"))

    safe_extract(data, tmp_path / "dest")

    assert (tmp_path / "dest" / "sub" / "c.txt").read_text() == "C"


def _zip_with(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, b"evil")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil.txt", "a/../../evil.txt", "..\\evil.txt", "C:/evil"])
def test_traversal_is_refused(tmp_path: Path, name: str) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()

    with pytest.raises(ResultVerificationFailed, match="outside the result folder"):
        safe_extract(_zip_with(name), dest)
    assert not (tmp_path / "evil.txt").exists()


def test_unreadable_and_oversize_zips_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ResultVerificationFailed, match="not a readable zip"):
        safe_extract(b"not a zip", tmp_path)
    with pytest.raises(ResultVerificationFailed, match="expands past"):
        safe_extract(_zip_with("big.txt"), tmp_path, max_bytes=2)
