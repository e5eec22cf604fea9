"""Contract ABIs and bytecode from the npm package ``@iexec/poco`` (6.1.0), plus our hand-written RLC ABI.

We never compile. The PoCo facets, the Diamond proxy, the library and the registries come from
``artifacts/contracts/**``; the four mudgen diamond contracts and the RLC token come from
``deployments/arbitrumSepolia/`` (see /work/shared/spec/poco-deploy-notes.md §1 and pitfall 3).
The artifacts are big (MBs of JSON), so every load is cached; treat the returned dicts as read-only.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from workerpool.common.errors import ConfigError, DeploymentError

__all__ = [
    "POCO_PACKAGE",
    "app_abi",
    "app_registry_abi",
    "dataset_abi",
    "dataset_registry_abi",
    "hub_abi",
    "link_bytecode",
    "load_artifact",
    "node_modules_dir",
    "poco_package_dir",
    "rlc_abi",
    "workerpool_abi",
    "workerpool_registry_abi",
]

#: The npm package holding the genuine PoCo build, relative to node_modules.
POCO_PACKAGE = Path("@iexec") / "poco"
#: Network folder of ``deployments/`` used for the contracts that are not under ``artifacts/``.
_DEPLOYMENTS_NETWORK = "arbitrumSepolia"
_ABI_DIR = Path(__file__).parent / "abi"


def node_modules_dir() -> Path:
    """Return the ``node_modules`` directory that holds ``@iexec/poco`` (and ``hardhat``).

    ``WORKERPOOL_NODE_MODULES`` overrides; otherwise search upward from this file, then from the cwd.

    Raises:
        ConfigError: no such directory.
    """
    override = os.environ.get("WORKERPOOL_NODE_MODULES")
    if override:
        candidate = Path(override).expanduser().resolve()
        if (candidate / POCO_PACKAGE).is_dir():
            return candidate
        raise ConfigError(
            f"WORKERPOOL_NODE_MODULES={override} has no {POCO_PACKAGE}: run `npm ci` (make setup) there "
            "or unset the variable"
        )
    return _search_node_modules(Path(__file__).resolve().parent, Path.cwd().resolve())


@functools.lru_cache(maxsize=4)
def _search_node_modules(*starts: Path) -> Path:
    for start in starts:
        for folder in (start, *start.parents):
            if (folder / "node_modules" / POCO_PACKAGE).is_dir():
                return folder / "node_modules"
    raise ConfigError(
        f"npm package {POCO_PACKAGE} not found in any node_modules above {starts[0]} or the current "
        "directory: run `npm ci` (make setup) in the repository, or set WORKERPOOL_NODE_MODULES"
    )


def poco_package_dir() -> Path:
    """Return the directory of the ``@iexec/poco`` npm package (see :func:`node_modules_dir`)."""
    return node_modules_dir() / POCO_PACKAGE


def load_artifact(name_or_path: str | Path) -> dict[str, Any]:
    """Load a contract's ``abi``, ``bytecode`` and ``linkReferences``.

    Parameters:
        name_or_path: a contract name ("IexecPoco1Facet", "DiamondCutFacet", "RLC"), a path relative to
            the ``@iexec/poco`` package, or an absolute path. A name is looked up under
            ``artifacts/contracts/**/<name>.sol/<name>.json`` first, then under
            ``deployments/arbitrumSepolia/<name>.json``.

    Raises:
        DeploymentError: no such artifact.
    """
    return _load_json_artifact(_resolve_artifact(str(name_or_path)))


@functools.lru_cache(maxsize=64)
def _resolve_artifact(name_or_path: str) -> Path:
    package = poco_package_dir()
    if name_or_path.endswith(".json") or "/" in name_or_path:
        path = Path(name_or_path)
        path = path if path.is_absolute() else package / path
        if path.is_file():
            return path
        raise DeploymentError(f"contract artifact {path} not found: reinstall with `npm ci` (make setup)")
    name = name_or_path
    matches = sorted((package / "artifacts" / "contracts").rglob(f"{name}.sol/{name}.json"))
    if matches:
        return matches[0]
    deployed = package / "deployments" / _DEPLOYMENTS_NETWORK / f"{name}.json"
    if deployed.is_file():
        return deployed
    raise DeploymentError(f"no artifact named {name} in {package}: check the name or reinstall with `npm ci`")


@functools.lru_cache(maxsize=64)
def _load_json_artifact(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    return {
        "abi": data.get("abi", []),
        "bytecode": data.get("bytecode", "0x"),
        "linkReferences": data.get("linkReferences", {}),
    }


def hub_abi() -> list[dict[str, Any]]:
    """ABI of the PoCo hub (the Diamond) in token mode: ``IexecInterfaceToken``."""
    return _abi("artifacts/contracts/IexecInterfaceToken.sol/IexecInterfaceToken.json")


def app_registry_abi() -> list[dict[str, Any]]:
    """ABI of ``AppRegistry`` (ERC-721; createApp, predictApp, isRegistered)."""
    return _abi("artifacts/contracts/registries/apps/AppRegistry.sol/AppRegistry.json")


def dataset_registry_abi() -> list[dict[str, Any]]:
    """ABI of ``DatasetRegistry``."""
    return _abi("artifacts/contracts/registries/datasets/DatasetRegistry.sol/DatasetRegistry.json")


def workerpool_registry_abi() -> list[dict[str, Any]]:
    """ABI of ``WorkerpoolRegistry``."""
    return _abi("artifacts/contracts/registries/workerpools/WorkerpoolRegistry.sol/WorkerpoolRegistry.json")


def app_abi() -> list[dict[str, Any]]:
    """ABI of an ``App`` registry entry (m_appName, m_appMultiaddr, owner, ...)."""
    return _abi("artifacts/contracts/registries/apps/App.sol/App.json")


def dataset_abi() -> list[dict[str, Any]]:
    """ABI of a ``Dataset`` registry entry."""
    return _abi("artifacts/contracts/registries/datasets/Dataset.sol/Dataset.json")


def workerpool_abi() -> list[dict[str, Any]]:
    """ABI of a ``Workerpool`` registry entry (changePolicy, m_workerStakeRatioPolicy, owner, ...)."""
    return _abi("artifacts/contracts/registries/workerpools/Workerpool.sol/Workerpool.json")


@functools.lru_cache(maxsize=1)
def rlc_abi() -> list[dict[str, Any]]:
    """Hand-written ABI of the RLC token (the npm deployment file has none); see ``abi/RLC.json``."""
    abi: list[dict[str, Any]] = json.loads((_ABI_DIR / "RLC.json").read_text())
    return abi


def _abi(relative_path: str) -> list[dict[str, Any]]:
    abi: list[dict[str, Any]] = load_artifact(relative_path)["abi"]
    return abi


def link_bytecode(
    bytecode: str,
    link_references: Mapping[str, Mapping[str, Sequence[Mapping[str, int]]]],
    libraries: Mapping[str, str],
) -> str:
    """Replace library placeholders in creation bytecode with deployed library addresses.

    Parameters:
        bytecode: hex creation code, with or without ``0x``.
        link_references: the artifact's ``linkReferences`` ({source: {library: [{start, length}]}}),
            offsets in bytes.
        libraries: library name to its deployed address, e.g. ``{"IexecLibOrders_v5": "0x..."}``.

    Returns:
        The linked bytecode with a ``0x`` prefix.

    Raises:
        DeploymentError: a referenced library has no address, or a ``__$`` placeholder is left.
    """
    code = bytecode[2:] if bytecode.startswith("0x") else bytecode
    for source, by_library in link_references.items():
        for library, places in by_library.items():
            if library not in libraries:
                raise DeploymentError(
                    f"bytecode needs library {library} ({source}): deploy it and pass its address"
                )
            address_hex = libraries[library].lower().removeprefix("0x")
            if len(address_hex) != 40:
                raise DeploymentError(f"bad address {libraries[library]!r} for library {library}")
            for place in places:
                start, length = 2 * place["start"], 2 * place["length"]
                code = code[:start] + address_hex + code[start + length :]
    if "__$" in code:
        raise DeploymentError("bytecode still has an unlinked library placeholder (__$...$__) after linking")
    return "0x" + code
