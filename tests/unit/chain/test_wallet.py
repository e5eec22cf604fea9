"""Keystore wallets: round trip, permissions and the error messages users see."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from workerpool.chain.wallet import create_wallet, load_wallet
from workerpool.common.errors import WalletError

#: Hardhat account 1 (publicly known test key).
KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ADDRESS = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


def test_round_trip_with_fast_dev_kdf(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "wallet.json"
    address = create_wallet(path, "secret", private_key=KEY, kdf="pbkdf2")
    assert address == ADDRESS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keystore = json.loads(path.read_text())
    assert keystore["version"] == 3
    assert keystore["crypto"]["kdf"] == "pbkdf2"
    account = load_wallet(path, "secret")
    assert account.address.lower() == ADDRESS
    assert account.key.hex().removeprefix("0x") == KEY[2:]


def test_default_kdf_is_scrypt_and_random_key(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    address = create_wallet(path, "pw", iterations=2**10)  # small n keeps the test fast
    assert address == address.lower() and len(address) == 42
    assert json.loads(path.read_text())["crypto"]["kdf"] == "scrypt"
    assert load_wallet(str(path), "pw").address.lower() == address


def test_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "wallet.json"
    create_wallet(path, "right", private_key=KEY, kdf="pbkdf2")
    with pytest.raises(WalletError, match=f"wrong password for wallet {path}"):
        load_wallet(path, "wrong")


def test_missing_file_says_which_setting(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(WalletError, match="wallet file not found at .*nope.json: set IEXEC_"):
        load_wallet(path, "pw")


@pytest.mark.parametrize("content", ["not json", "{}", "[1, 2]"])
def test_not_a_keystore(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(WalletError, match="is not a keystore v3 JSON"):
        load_wallet(path, "pw")


def test_unknown_kdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WalletError, match="unknown keystore kdf"):
        create_wallet(tmp_path / "w.json", "pw", kdf="argon2")  # type: ignore[arg-type]
