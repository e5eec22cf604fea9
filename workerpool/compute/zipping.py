"""Deterministic zip of ``iexec_out`` and its guarded extraction (worker-spec 5.7).

The same content always gives the same bytes: entries sorted, fixed timestamps and permissions, no extra
fields. Symlinks become empty entries (as in the Java worker), so nothing outside the folder leaks in.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path, PurePosixPath

from workerpool.common.errors import ResultVerificationFailed

__all__ = ["zip_folder", "zip_folder_bytes", "safe_extract", "MAX_EXTRACTED_BYTES"]

#: extraction stops past this total size (zip bombs)
MAX_EXTRACTED_BYTES = 2 * 1024**3
_EPOCH = (1980, 1, 1, 0, 0, 0)
_FILE_ATTR = (stat.S_IFREG | 0o644) << 16
_DIR_ATTR = ((stat.S_IFDIR | 0o755) << 16) | 0x10


def _entries(folder: Path) -> list[tuple[str, Path]]:
    """Every file, symlink and folder under ``folder`` as (posix name, path), sorted by name."""
    found: list[tuple[str, Path]] = []
    for current, dirnames, filenames in os.walk(folder, onerror=_raise):
        base = Path(current)
        for name in dirnames + filenames:
            path = base / name
            relative = path.relative_to(folder).as_posix()
            found.append((relative + "/" if path.is_dir() and not path.is_symlink() else relative, path))
    return sorted(found)


def _raise(error: OSError) -> None:
    raise error


def zip_folder_bytes(folder: Path) -> bytes:
    """The zip of ``folder``'s content (entries relative to it, no top folder), as bytes.

    Raises:
        OSError: the folder cannot be walked or a file read.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in _entries(Path(folder)):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.create_system = 3  # unix, so external_attr means what we set
            if name.endswith("/"):
                info.external_attr = _DIR_ATTR
                archive.writestr(info, b"")
                continue
            info.external_attr = _FILE_ATTR
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, b"" if path.is_symlink() else path.read_bytes())
    return buffer.getvalue()


def zip_folder(folder: Path, zip_path: Path) -> None:
    """Write the zip of ``folder`` to ``zip_path`` (atomically: temp file then rename).

    Raises:
        OSError: reading the folder or writing the zip failed.
    """
    data = zip_folder_bytes(folder)
    partial = zip_path.with_name(zip_path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(zip_path)


def _target(dest: Path, name: str) -> Path:
    pure = PurePosixPath(name)
    if name.startswith(("/", "\\")) or "\\" in name or ".." in pure.parts or (pure.parts and ":" in pure.parts[0]):
        raise ResultVerificationFailed(f"result zip entry {name!r} points outside the result folder: refused")
    target = (dest / pure).resolve()
    if target != dest and dest not in target.parents:
        raise ResultVerificationFailed(f"result zip entry {name!r} points outside the result folder: refused")
    return target


def safe_extract(zip_bytes: bytes, dest: Path, *, max_bytes: int = MAX_EXTRACTED_BYTES) -> None:
    """Extract a result zip into ``dest``, refusing absolute paths, ``..``, symlinks and oversize content.

    Raises:
        ResultVerificationFailed: the zip is unreadable or unsafe.
    """
    dest = Path(dest).resolve()
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile as e:
        raise ResultVerificationFailed(f"the result is not a readable zip: {e}") from e
    with archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > max_bytes:
            raise ResultVerificationFailed(f"the result zip expands past {max_bytes} bytes: refused")
        for info in infos:
            _extract_one(archive, info, _target(dest, info.filename))


def _extract_one(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> None:
    try:
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(info))  # always a plain file: mode bits (symlinks) are ignored
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ResultVerificationFailed(f"result zip entry {info.filename!r} cannot be extracted: {e}") from e
