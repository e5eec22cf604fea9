"""Deploy the genuine iExec PoCo v6.1.0 (token mode) on a dev chain, from the npm artifacts' bytecode.

Follows /work/shared/spec/poco-deploy-notes.md §2 exactly: RLC, the mudgen diamond (cut, loupe,
ownership, init), IexecLibOrders_v5, the 13 v6.1.0 facets (linked to the library where needed, each
added with one ``diamondCut``), the three registries (``initialize(0x0)`` + ``setBaseURI``),
``configure(...)`` and the categories. The deployer stays the owner of everything.

Measured on Hardhat (2 cores): 48 transactions, 38,746,541 gas, 1.2-1.4 s (plus ~0.15 s of checks).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.abi import function_abi_to_4byte_selector
from eth_utils.address import to_checksum_address
from web3 import Web3

from workerpool.chain.artifacts import hub_abi, link_bytecode, load_artifact
from workerpool.chain.tx import TxReceipt, TxSender
from workerpool.common.errors import DeploymentError, WorkerpoolError

__all__ = [
    "DEFAULT_CATEGORIES",
    "DEV_DEPLOYER_KEY",
    "Deployment",
    "deploy_poco",
    "is_deployed",
    "load_or_deploy",
]

log = logging.getLogger(__name__)

#: Hardhat account 0 of the "test test ... junk" mnemonic: a publicly known key, for dev chains only.
DEV_DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#: Categories of config/config.json: (name, workClockTimeRef in seconds).
DEFAULT_CATEGORIES: list[tuple[str, int]] = [
    ("XS", 300),
    ("S", 1200),
    ("M", 3600),
    ("L", 10800),
    ("XL", 36000),
]
#: PoCo facets in the v6.1.0 deploy order (deploy/0_deploy.ts at tag v6.1.0, with IexecERC20Facet).
FACETS_V6_1 = [
    "IexecAccessorsABILegacyFacet",
    "IexecCategoryManagerFacet",
    "IexecConfigurationExtraFacet",
    "IexecConfigurationFacet",
    "IexecERC20Facet",
    "IexecEscrowTokenFacet",
    "IexecOrderManagementFacet",
    "IexecPoco1Facet",
    "IexecPoco2Facet",
    "IexecPocoAccessorsFacet",
    "IexecPocoBoostFacet",
    "IexecPocoBoostAccessorsFacet",
    "IexecRelayFacet",
]
_BOOST_FACETS = {"IexecPocoBoostFacet", "IexecPocoBoostAccessorsFacet"}
_LIBRARY = "IexecLibOrders_v5"
_ZERO_ADDRESS = "0x" + "00" * 20
#: Fixed gas limits (poco-deploy-notes pitfall 8): no eth_estimateGas round trip per transaction.
_DEPLOY_GAS = 15_000_000
_CALL_GAS = 8_000_000
_ADD = 0  # IDiamond.FacetCutAction.Add
_DIAMOND_INIT_CALLDATA = "0xe1c7392a"  # DiamondInit.init()
_REGISTRIES = (("app", "AppRegistry"), ("dataset", "DatasetRegistry"), ("workerpool", "WorkerpoolRegistry"))


@dataclass(frozen=True)
class Deployment:
    """Where PoCo lives on one chain (addresses lowercase)."""

    chain_id: int
    hub: str
    rlc: str
    app_registry: str
    dataset_registry: str
    workerpool_registry: str
    deploy_block: int
    categories: list[tuple[str, int]] = field(default_factory=lambda: list(DEFAULT_CATEGORIES))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-able dict (categories as [name, seconds] pairs)."""
        data = asdict(self)
        data["categories"] = [[name, seconds] for name, seconds in self.categories]
        return data

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Deployment:
        """Inverse of :meth:`to_json`; raises DeploymentError on a malformed dict."""
        try:
            return cls(
                chain_id=int(d["chain_id"]),
                hub=str(d["hub"]).lower(),
                rlc=str(d["rlc"]).lower(),
                app_registry=str(d["app_registry"]).lower(),
                dataset_registry=str(d["dataset_registry"]).lower(),
                workerpool_registry=str(d["workerpool_registry"]).lower(),
                deploy_block=int(d["deploy_block"]),
                categories=[(str(name), int(seconds)) for name, seconds in d["categories"]],
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DeploymentError(
                f"malformed deployment record ({type(e).__name__}: {e}): delete it to redeploy"
            ) from e


def deploy_poco(
    w3: Web3,
    deployer: LocalAccount,
    *,
    categories: Sequence[tuple[str, int]] = DEFAULT_CATEGORIES,
    boost: bool = True,
) -> Deployment:
    """Deploy and configure RLC, the PoCo diamond and the registries; the deployer owns them all.

    Parameters:
        categories: (name, workClockTimeRef seconds) created in order (ids 0, 1, ...).
        boost: also add the PoCo Boost facets (not deployed on Arbitrum; on by default for dev chains).

    Raises:
        DeploymentError: a transaction failed or the end state is not the expected one.
    """
    started = time.perf_counter()
    steps = _Deployer(w3, TxSender(w3, deployer, chain_id=int(w3.eth.chain_id)))
    try:
        deployment = steps.run(categories, boost)
    except WorkerpoolError as e:
        raise DeploymentError(f"PoCo deployment failed: {e}") from e
    _verify(w3, deployment, boost)
    elapsed_s = time.perf_counter() - started
    log.info("PoCo deployed at hub %s: %d gas, %.2f s", deployment.hub, steps.gas_used, elapsed_s)
    return deployment


class _Deployer:
    """The deployment steps of poco-deploy-notes §2, sharing one sender and a gas total."""

    def __init__(self, w3: Web3, sender: TxSender) -> None:
        self.w3 = w3
        self.sender = sender
        self.gas_used = 0

    def run(self, categories: Sequence[tuple[str, int]], boost: bool) -> Deployment:
        rlc_receipt = self._create(load_artifact("RLC")["bytecode"], "RLC")
        rlc = _address(rlc_receipt.contract_address)
        hub, present = self._diamond()
        library = self._deploy(_LIBRARY, {})
        for name in FACETS_V6_1:
            if boost or name not in _BOOST_FACETS:
                self._add_facet(hub, name, {_LIBRARY: library}, present)
        registries = {kind: self._registry(kind, name) for kind, name in _REGISTRIES}
        hub_contract = self.w3.eth.contract(address=_cs(hub), abi=hub_abi())
        app, dataset, workerpool = (_cs(registries[k]) for k, _ in _REGISTRIES)
        args = [_cs(rlc), "Staked RLC", "SRLC", 9, app, dataset, workerpool, _ZERO_ADDRESS]
        self._call(hub, hub_contract.encode_abi("configure", args=args), "hub.configure")
        for name, seconds in categories:
            data = hub_contract.encode_abi("createCategory", args=[name, json.dumps(""), seconds])
            self._call(hub, data, f"hub.createCategory({name})")
        return Deployment(
            chain_id=int(self.w3.eth.chain_id),
            hub=hub,
            rlc=rlc,
            app_registry=registries["app"],
            dataset_registry=registries["dataset"],
            workerpool_registry=registries["workerpool"],
            deploy_block=rlc_receipt.block_number,
            categories=[(name, int(seconds)) for name, seconds in categories],
        )

    def _create(self, bytecode: str, name: str) -> TxReceipt:
        receipt = self.sender.deploy(bytecode, gas=_DEPLOY_GAS, description=f"deploy {name}")
        self.gas_used += receipt.gas_used
        return receipt

    def _call(self, to: str, data: str, description: str) -> None:
        self.gas_used += self.sender.send(to, data, gas=_CALL_GAS, description=description).gas_used

    def _deploy(self, name: str, libraries: dict[str, str]) -> str:
        artifact = load_artifact(name)
        bytecode = link_bytecode(artifact["bytecode"], artifact["linkReferences"], libraries)
        return _address(self._create(bytecode, name).contract_address)

    def _diamond(self) -> tuple[str, set[str]]:
        init = self._deploy("DiamondInit", {})
        cuts: list[tuple[str, int, list[bytes]]] = []
        present: set[str] = set()
        for name in ("DiamondCutFacet", "DiamondLoupeFacet", "OwnershipFacet"):
            facet = self._deploy(name, {})
            selectors = _selectors(load_artifact(name)["abi"])
            present.update(selectors)
            cuts.append((_cs(facet), _ADD, [bytes.fromhex(s[2:]) for s in selectors]))
        artifact = load_artifact("artifacts/contracts/Diamond.sol/Diamond.json")
        diamond = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        args = (_cs(self.sender.address), _cs(init), _DIAMOND_INIT_CALLDATA)
        receipt = self._create(diamond.constructor(cuts, args).data_in_transaction, "Diamond")
        return _address(receipt.contract_address), present

    def _add_facet(self, hub: str, name: str, libraries: dict[str, str], present: set[str]) -> None:
        facet = self._deploy(name, libraries)
        # Skip selectors already in the diamond, like linkContractToProxy (none collide in 6.1.0).
        new = [s for s in _selectors(load_artifact(name)["abi"]) if s not in present]
        present.update(new)
        cut = self.w3.eth.contract(address=_cs(hub), abi=load_artifact("DiamondCutFacet")["abi"])
        facet_cut = (_cs(facet), _ADD, [bytes.fromhex(s[2:]) for s in new])
        data = cut.encode_abi("diamondCut", args=[[facet_cut], _ZERO_ADDRESS, b""])
        self._call(hub, data, f"diamondCut {name} ({len(new)} selectors)")

    def _registry(self, kind: str, name: str) -> str:
        address = self._deploy(name, {})
        registry = self.w3.eth.contract(address=_cs(address), abi=load_artifact(name)["abi"])
        self._call(
            address, registry.encode_abi("initialize", args=[_ZERO_ADDRESS]), f"{name}.initialize(0x0)"
        )
        base_uri = f"https://nfts-metadata.iex.ec/{kind}/{int(self.w3.eth.chain_id)}/"
        self._call(address, registry.encode_abi("setBaseURI", args=[base_uri]), f"{name}.setBaseURI")
        return address


def _selectors(abi: Iterable[dict[str, Any]]) -> list[str]:
    """Every function selector, plus 0xffffffff for fallback and 0x00000000 for receive (notes pitfall 6)."""
    selectors = []
    for item in abi:
        if item["type"] == "function":
            selectors.append("0x" + function_abi_to_4byte_selector(item).hex())  # type: ignore[arg-type]
        elif item["type"] == "fallback":
            selectors.append("0xffffffff")
        elif item["type"] == "receive":
            selectors.append("0x00000000")
    return selectors


def _verify(w3: Web3, deployment: Deployment, boost: bool) -> None:
    loupe = w3.eth.contract(
        address=to_checksum_address(deployment.hub), abi=load_artifact("DiamondLoupeFacet")["abi"]
    )
    facets = loupe.functions.facets().call()
    names = ["DiamondCutFacet", "DiamondLoupeFacet", "OwnershipFacet"]
    names += [n for n in FACETS_V6_1 if boost or n not in _BOOST_FACETS]
    expected_selectors = {s for n in names for s in _selectors(load_artifact(n)["abi"])}
    found_selectors = {"0x" + bytes(s).hex() for f in facets for s in f[1]}
    if len(facets) != len(names) or found_selectors != expected_selectors:
        raise DeploymentError(
            f"diamond has {len(facets)} facets / {len(found_selectors)} selectors, "
            f"expected {len(names)} / {len(expected_selectors)}"
        )
    hub = w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())
    domain = hub.functions.domain().call()
    if domain[0] != "iExecODB" or domain[2] != deployment.chain_id or domain[3].lower() != deployment.hub:
        raise DeploymentError(
            f"hub EIP-712 domain is {domain}, expected iExecODB on chain {deployment.chain_id}"
        )
    if hub.functions.eip712domain_separator().call() == b"\x00" * 32:
        raise DeploymentError("hub EIP-712 domain separator is zero: configure() did not run")
    count = hub.functions.countCategory().call()
    if count < len(deployment.categories):
        raise DeploymentError(f"hub has {count} categories, expected {len(deployment.categories)}")
    log.info(
        "verified hub %s: %d facets, %d selectors, %d categories, domain %s",
        deployment.hub,
        len(facets),
        sum(len(f[1]) for f in facets),
        count,
        domain,
    )


def is_deployed(w3: Web3, deployment: Deployment) -> bool:
    """True when this chain holds the recorded deployment (chain id, code, categories)."""
    try:
        if int(w3.eth.chain_id) != deployment.chain_id:
            return False
        addresses = (
            deployment.hub,
            deployment.rlc,
            deployment.app_registry,
            deployment.dataset_registry,
            deployment.workerpool_registry,
        )
        if any(len(w3.eth.get_code(to_checksum_address(a))) == 0 for a in addresses):
            return False
        hub = w3.eth.contract(address=to_checksum_address(deployment.hub), abi=hub_abi())
        return int(hub.functions.countCategory().call()) >= len(deployment.categories)
    except Exception:  # any failure to read means "not (usably) deployed here"
        log.debug("deployment check failed", exc_info=True)
        return False


def load_or_deploy(
    w3: Web3,
    state_dir: Path,
    *,
    deployer: LocalAccount | None = None,
    categories: Sequence[tuple[str, int]] = DEFAULT_CATEGORIES,
) -> tuple[Deployment, bool]:
    """Reuse the deployment recorded in ``state_dir/chain.json`` if it is live, else deploy and record it.

    Returns:
        (deployment, deployed_now).
    """
    record = Path(state_dir) / "chain.json"
    if record.is_file():
        try:
            recorded = Deployment.from_json(json.loads(record.read_text()))
        except (ValueError, DeploymentError):
            log.warning("ignoring unreadable deployment record %s", record)
        else:
            if is_deployed(w3, recorded):
                log.info("reusing PoCo deployment of %s (hub %s)", record, recorded.hub)
                return recorded, False
            log.info("recorded deployment %s is not on this chain; deploying again", record)
    account = deployer if deployer is not None else Account.from_key(DEV_DEPLOYER_KEY)
    deployment = deploy_poco(w3, account, categories=categories)
    _write_record(record, deployment)
    return deployment, True


def _write_record(record: Path, deployment: Deployment) -> None:
    record.parent.mkdir(parents=True, exist_ok=True)
    tmp = record.with_name(f".{record.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=2) + "\n")
    os.replace(tmp, record)


def _cs(address: str) -> ChecksumAddress:
    return to_checksum_address(address)


def _address(address: str | None) -> str:
    if not address:
        raise DeploymentError("contract creation returned no contract address")
    return address.lower()
