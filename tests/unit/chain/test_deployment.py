"""Deployment record: JSON round trip and malformed input."""

from __future__ import annotations

import json

import pytest

from workerpool.chain.devchain.deploy import DEFAULT_CATEGORIES, DEV_DEPLOYER_KEY, Deployment
from workerpool.common.errors import DeploymentError


def _deployment() -> Deployment:
    return Deployment(
        chain_id=31337,
        hub="0x" + "11" * 20,
        rlc="0x" + "22" * 20,
        app_registry="0x" + "33" * 20,
        dataset_registry="0x" + "44" * 20,
        workerpool_registry="0x" + "55" * 20,
        deploy_block=1,
        categories=list(DEFAULT_CATEGORIES),
    )


def test_json_round_trip_through_text() -> None:
    deployment = _deployment()
    text = json.dumps(deployment.to_json())
    assert Deployment.from_json(json.loads(text)) == deployment


def test_categories_are_pairs_in_json() -> None:
    assert _deployment().to_json()["categories"][0] == ["XS", 300]


def test_from_json_lowercases_addresses() -> None:
    data = _deployment().to_json() | {"hub": "0x" + "AB" * 20}
    assert Deployment.from_json(data).hub == "0x" + "ab" * 20


def test_malformed_record() -> None:
    data = _deployment().to_json()
    del data["hub"]
    with pytest.raises(DeploymentError, match="malformed deployment record"):
        Deployment.from_json(data)


def test_dev_deployer_is_hardhat_account_zero() -> None:
    from eth_account import Account

    assert Account.from_key(DEV_DEPLOYER_KEY).address.lower() == "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
