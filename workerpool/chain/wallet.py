"""Encrypted keystore (v3 JSON) wallets.

User wallets use scrypt (eth_account's default, n=2**18: about 0.5-1 s to decrypt, on purpose).
Dev and test wallets may use ``kdf="pbkdf2"`` with :data:`DEV_PBKDF2_ITERATIONS` rounds: they
hold the publicly known Hardhat keys or throwaway keys, and a pool starts many of them, so
decryption must take milliseconds, not seconds.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from eth_account import Account
from eth_account.signers.local import LocalAccount

from workerpool.common.errors import WalletError

__all__ = ["DEV_PBKDF2_ITERATIONS", "create_wallet", "load_wallet"]

log = logging.getLogger(__name__)

#: PBKDF2 rounds for dev/test wallets when ``kdf="pbkdf2"`` and no count is given: decrypts in ~10 ms.
#: Weak on purpose; never use it for a wallet holding real funds.
DEV_PBKDF2_ITERATIONS = 4096


def load_wallet(path: str | Path, password: str) -> LocalAccount:
    """Decrypt a keystore v3 file.

    Raises:
        WalletError: the file is missing, is not a keystore v3 JSON, or the password is wrong.
    """
    wallet_path = Path(path)
    keystore = _read_keystore(wallet_path)
    try:
        private_key = Account.decrypt(keystore, password)
    except ValueError as e:
        if "MAC mismatch" in str(e):
            raise WalletError(f"wrong password for wallet {wallet_path}") from e
        raise WalletError(f"{wallet_path} is not a keystore v3 JSON: {e}") from e
    except (KeyError, TypeError) as e:
        raise WalletError(f"{wallet_path} is not a keystore v3 JSON: missing {e}") from e
    account: LocalAccount = Account.from_key(private_key)
    log.debug("loaded wallet %s from %s", account.address.lower(), wallet_path)
    return account


def create_wallet(
    path: str | Path,
    password: str,
    *,
    private_key: str | None = None,
    kdf: Literal["scrypt", "pbkdf2"] = "scrypt",
    iterations: int | None = None,
) -> str:
    """Write an encrypted keystore v3 file (mode 0600, parent dirs created) and return its address.

    Parameters:
        path: where to write the keystore (replaced atomically if it exists).
        password: encryption password.
        private_key: hex key to import; a new random key when None.
        kdf: "scrypt" (default, for user wallets) or "pbkdf2" (fast, for dev/test wallets).
        iterations: KDF work factor; None means eth_account's default for scrypt and
            :data:`DEV_PBKDF2_ITERATIONS` for pbkdf2.

    Returns:
        The wallet address, lowercase.
    """
    if kdf not in ("scrypt", "pbkdf2"):
        raise WalletError(f"unknown keystore kdf {kdf!r}: use 'scrypt' or 'pbkdf2'")
    if kdf == "pbkdf2" and iterations is None:
        iterations = DEV_PBKDF2_ITERATIONS
    account: LocalAccount = Account.from_key(private_key) if private_key else Account.create()
    keystore = Account.encrypt(account.key, password, kdf=kdf, iterations=iterations)
    _write_private(Path(path), json.dumps(keystore))
    address = account.address.lower()
    log.info("created wallet %s at %s (kdf=%s)", address, path, kdf)
    return address


def _read_keystore(wallet_path: Path) -> dict[str, Any]:
    try:
        text = wallet_path.read_text()
    except FileNotFoundError as e:
        raise WalletError(
            f"wallet file not found at {wallet_path}: set IEXEC_CORE_WALLET_PATH or IEXEC_WORKER_WALLET_PATH "
            "to an existing keystore"
        ) from e
    except OSError as e:
        raise WalletError(f"cannot read wallet {wallet_path}: {e}") from e
    try:
        keystore = json.loads(text)
    except json.JSONDecodeError as e:
        raise WalletError(f"{wallet_path} is not a keystore v3 JSON (invalid JSON)") from e
    if not isinstance(keystore, dict) or ("crypto" not in keystore and "Crypto" not in keystore):
        raise WalletError(f"{wallet_path} is not a keystore v3 JSON (no 'crypto' section)")
    return keystore


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
