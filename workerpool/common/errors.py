"""The one error root of workerpool and its branches.

Tree::

    WorkerpoolError
    ├── ConfigError              wrong or missing settings (say which and how to fix)
    ├── ChainError               anything that talks to a node
    │   ├── NodeUnreachable      no JSON-RPC answer at the URL
    │   ├── WalletError          keystore missing, unreadable or wrong password
    │   ├── DeploymentError      PoCo could not be deployed or is not where it was recorded
    │   └── TransactionFailed    a transaction reverted or got no receipt
    ├── ComputeError             the container runtime
    │   ├── DockerUnavailable    no Docker engine answers
    │   └── ImageNotFound        the app image cannot be found or pulled
    ├── SchedulerError           the scheduler service
    │   └── SchedulerUnreachable a client could not reach the scheduler
    └── RequesterError           requester-side flow (orders, results)
        └── ResultVerificationFailed  the downloaded result does not match the chain

Expected outcomes of a replicate are not exceptions: they are ``ReplicateStatusCause`` values.
"""

from __future__ import annotations

__all__ = [
    "WorkerpoolError",
    "ConfigError",
    "ChainError",
    "NodeUnreachable",
    "WalletError",
    "DeploymentError",
    "TransactionFailed",
    "ComputeError",
    "DockerUnavailable",
    "ImageNotFound",
    "SchedulerError",
    "SchedulerUnreachable",
    "RequesterError",
    "ResultVerificationFailed",
]


class WorkerpoolError(Exception):
    """Root of every error raised on purpose by workerpool."""


class ConfigError(WorkerpoolError):
    """A setting is missing or invalid; the message names it and says how to fix it."""


class ChainError(WorkerpoolError):
    """Talking to the Ethereum node failed."""


class NodeUnreachable(ChainError):
    """No JSON-RPC answer from the node URL."""


class WalletError(ChainError):
    """The keystore cannot be read or decrypted."""


class DeploymentError(ChainError):
    """PoCo could not be deployed, or is not at the recorded addresses."""


class TransactionFailed(ChainError):
    """A transaction reverted or never got a receipt.

    Attributes:
        tx_hash: hash of the sent transaction, if one was sent.
        receipt: the receipt as a plain dict, if one came back.
    """

    def __init__(self, message: str, *, tx_hash: str | None = None, receipt: dict[str, object] | None = None):
        super().__init__(message)
        self.tx_hash = tx_hash
        self.receipt = receipt


class ComputeError(WorkerpoolError):
    """The container runtime failed."""


class DockerUnavailable(ComputeError):
    """No Docker engine answers."""


class ImageNotFound(ComputeError):
    """The app image is not present and cannot be pulled."""


class SchedulerError(WorkerpoolError):
    """The scheduler service failed."""


class SchedulerUnreachable(SchedulerError):
    """A client could not reach the scheduler."""


class RequesterError(WorkerpoolError):
    """The requester-side flow failed."""


class ResultVerificationFailed(RequesterError):
    """The downloaded result does not match the digest recorded on chain."""
