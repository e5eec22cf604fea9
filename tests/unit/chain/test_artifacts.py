"""Library linking (pure) and, when node_modules is present, artifact lookup."""

from __future__ import annotations

import pytest

from tests.services import require_service
from workerpool.chain import artifacts
from workerpool.common.errors import ConfigError, DeploymentError

LIB = "0x" + "ab" * 20
REFS = {"contracts/libs/IexecLibOrders_v5.sol": {"IexecLibOrders_v5": [{"start": 2, "length": 20}]}}


def _placeholder() -> str:
    return "__$" + "0" * 34 + "$__"


def test_link_replaces_placeholder_at_offsets() -> None:
    code = "0x6080" + _placeholder() + "00ff"
    linked = artifacts.link_bytecode(code, REFS, {"IexecLibOrders_v5": LIB})
    assert linked == "0x6080" + "ab" * 20 + "00ff"


def test_link_accepts_checksum_and_no_prefix() -> None:
    code = "6080" + _placeholder()
    linked = artifacts.link_bytecode(code, REFS, {"IexecLibOrders_v5": LIB.upper().replace("0X", "0x")})
    assert linked == "0x6080" + "ab" * 20


def test_missing_library_is_an_error() -> None:
    with pytest.raises(DeploymentError, match="needs library IexecLibOrders_v5"):
        artifacts.link_bytecode("0x6080" + _placeholder(), REFS, {})


def test_leftover_placeholder_is_an_error() -> None:
    code = "0x6080" + _placeholder() + _placeholder()  # second one not in linkReferences
    with pytest.raises(DeploymentError, match="unlinked library placeholder"):
        artifacts.link_bytecode(code, REFS, {"IexecLibOrders_v5": LIB})


def test_no_references_is_identity() -> None:
    assert artifacts.link_bytecode("6080", {}, {}) == "0x6080"


def test_override_without_package_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("WORKERPOOL_NODE_MODULES", str(tmp_path))
    with pytest.raises(ConfigError, match="npm ci"):
        artifacts.poco_package_dir()


def _have_poco() -> bool:
    try:
        artifacts.poco_package_dir()
    except ConfigError:
        return False
    return True


def test_real_artifacts_load_and_link() -> None:
    require_service(_have_poco(), "npm package @iexec/poco (npm ci)")
    facet = artifacts.load_artifact("IexecPoco1Facet")
    linked = artifacts.link_bytecode(facet["bytecode"], facet["linkReferences"], {"IexecLibOrders_v5": LIB})
    assert "__$" not in linked and "ab" * 20 in linked
    names = {item.get("name") for item in artifacts.hub_abi()}
    assert {"matchOrders", "contribute", "viewDeal", "balanceOf", "frozenOf"} <= names
    assert {item.get("name") for item in artifacts.rlc_abi()} >= {"approveAndCall", "transfer", "Transfer"}
    assert any(item.get("name") == "createApp" for item in artifacts.app_registry_abi())
    assert any(item.get("name") == "createWorkerpool" for item in artifacts.workerpool_registry_abi())
    assert any(item.get("name") == "changePolicy" for item in artifacts.workerpool_abi())
    assert any(item.get("name") == "m_appMultiaddr" for item in artifacts.app_abi())
    assert artifacts.load_artifact("RLC")["bytecode"].startswith("0x")
    with pytest.raises(DeploymentError, match="no artifact named"):
        artifacts.load_artifact("NoSuchContract")
