"""Vocabulary of the pool: statuses, causes and notification types (spec/core-spec.md §4, §6; seeds/001).

Enum order matters: ``ReplicateStatus`` and ``TaskStatus`` are compared by position.
"""

from __future__ import annotations

from enum import Enum, IntEnum

__all__ = [
    "ReplicateStatus",
    "ReplicateStatusCause",
    "ReplicateStatusModifier",
    "TaskStatus",
    "TaskNotificationType",
    "TaskAbortCause",
    "ChainTaskStatus",
    "ChainContributionStatus",
]


class ReplicateStatus(str, Enum):
    """Where one worker's replicate of a task stands."""

    CREATED = "CREATED"  #: given to the worker by the scheduler
    RUNNING = "RUNNING"  #: the worker confirms it works on this replicate (seeds/001)
    STARTING = "STARTING"  #: preflight checks running
    START_FAILED = "START_FAILED"  #: preflight checks failed
    STARTED = "STARTED"  #: preflight checks passed
    APP_DOWNLOADING = "APP_DOWNLOADING"  #: pulling the app image
    APP_DOWNLOAD_FAILED = "APP_DOWNLOAD_FAILED"  #: the image could not be pulled
    APP_DOWNLOADED = "APP_DOWNLOADED"  #: the image is present locally
    DATA_DOWNLOADING = "DATA_DOWNLOADING"  #: fetching dataset and input files
    DATA_DOWNLOAD_FAILED = "DATA_DOWNLOAD_FAILED"  #: dataset or an input file failed
    DATA_DOWNLOADED = "DATA_DOWNLOADED"  #: inputs in place
    COMPUTING = "COMPUTING"  #: the app container runs
    COMPUTE_FAILED = "COMPUTE_FAILED"  #: preflight failure before computing
    COMPUTED = "COMPUTED"  #: result packaged, digest known
    CAN_CONTRIBUTE = "CAN_CONTRIBUTE"  #: checks before contributing passed
    CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW = "CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW"  #: deposit below the worker stake
    CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE = "CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE"  #: on-chain task not ACTIVE
    CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE = "CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE"  #: contribution deadline passed
    CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET = "CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET"  #: done already
    CONTRIBUTING = "CONTRIBUTING"  #: contribute transaction sent
    CONTRIBUTE_FAILED = "CONTRIBUTE_FAILED"  #: contribute could not be done
    CONTRIBUTED = "CONTRIBUTED"  #: contribution confirmed on chain
    CANT_REVEAL = "CANT_REVEAL"  #: on-chain checks before revealing failed
    REVEALING = "REVEALING"  #: reveal transaction sent
    REVEAL_FAILED = "REVEAL_FAILED"  #: reveal could not be done
    REVEALED = "REVEALED"  #: reveal confirmed on chain
    RESULT_UPLOAD_REQUESTED = "RESULT_UPLOAD_REQUESTED"  #: this worker was picked to upload
    RESULT_UPLOAD_REQUEST_FAILED = "RESULT_UPLOAD_REQUEST_FAILED"  #: the picked worker cannot upload
    RESULT_UPLOADING = "RESULT_UPLOADING"  #: upload under way
    RESULT_UPLOAD_FAILED = "RESULT_UPLOAD_FAILED"  #: upload failed
    RESULT_UPLOADED = "RESULT_UPLOADED"  #: the result repository holds the result
    CONTRIBUTE_AND_FINALIZE_ONGOING = "CONTRIBUTE_AND_FINALIZE_ONGOING"  #: trust-1 one-shot tx sent
    CONTRIBUTE_AND_FINALIZE_FAILED = "CONTRIBUTE_AND_FINALIZE_FAILED"  #: one-shot tx failed
    CONTRIBUTE_AND_FINALIZE_DONE = "CONTRIBUTE_AND_FINALIZE_DONE"  #: one-shot tx confirmed
    COMPLETING = "COMPLETING"  #: cleaning up after finalize
    COMPLETE_FAILED = "COMPLETE_FAILED"  #: clean-up failed
    COMPLETED = "COMPLETED"  #: task finalized; rewarded if in the consensus
    REVEAL_TIMEOUT = "REVEAL_TIMEOUT"  #: in the consensus but did not reveal before the reveal deadline
    FAILED = "FAILED"  #: final failure decided by the scheduler
    ABORTED = "ABORTED"  #: stopped on the scheduler's request
    ABORTED_ON_CONSENSUS_REACHED = "ABORTED_ON_CONSENSUS_REACHED"  #: consensus reached without this worker
    ABORTED_ON_CONTRIBUTION_TIMEOUT = "ABORTED_ON_CONTRIBUTION_TIMEOUT"  #: contribution deadline passed
    OUT_OF_GAS = "OUT_OF_GAS"  #: the wallet cannot pay a transaction: refill it with ETH
    RECOVERING = "RECOVERING"  #: handed back to a restarted worker
    WORKER_LOST = "WORKER_LOST"  #: the worker stopped pinging

    @property
    def position(self) -> int:
        return _REPLICATE_ORDER[self]

    def is_final(self) -> bool:
        return self in (ReplicateStatus.COMPLETED, ReplicateStatus.FAILED)

    def is_failure(self) -> bool:
        """A step that did not succeed (the replicate may still be aborted or recovered)."""
        return (self.value.endswith("_FAILED") or self.value.startswith("CANT_") or self in _OTHER_FAILURES)

    def is_aborted(self) -> bool:
        return self.value.startswith("ABORTED")

    def is_failed_before_computed(self) -> bool:
        return self.is_failure() and self.position < ReplicateStatus.COMPUTED.position


_REPLICATE_ORDER = {status: i for i, status in enumerate(ReplicateStatus)}
_OTHER_FAILURES = frozenset({ReplicateStatus.FAILED, ReplicateStatus.REVEAL_TIMEOUT, ReplicateStatus.OUT_OF_GAS})


class ReplicateStatusCause(str, Enum):
    """Why a replicate status happened (the subset this pool emits; names from iexec-common)."""

    CHAIN_UNREACHABLE = "CHAIN_UNREACHABLE"  #: the node could not be read
    BLOCK_NOT_REACHED = "BLOCK_NOT_REACHED"  #: the node lags behind the consensus block
    STAKE_TOO_LOW = "STAKE_TOO_LOW"  #: deposit below the deal's worker stake
    OUT_OF_GAS = "OUT_OF_GAS"  #: the wallet cannot pay one transaction
    TASK_NOT_ACTIVE = "TASK_NOT_ACTIVE"  #: on-chain task is not ACTIVE
    TASK_DESCRIPTION_INVALID = "TASK_DESCRIPTION_INVALID"  #: deal params cannot be honoured
    CONTRIBUTION_ALREADY_SET = "CONTRIBUTION_ALREADY_SET"  #: this wallet already contributed
    CONSENSUS_REACHED = "CONSENSUS_REACHED"  #: consensus reached without this worker
    CHAIN_RECEIPT_NOT_VALID = "CHAIN_RECEIPT_NOT_VALID"  #: tx reverted, event missing or block 0
    CONSENSUS_BLOCK_MISSING = "CONSENSUS_BLOCK_MISSING"  #: reveal asked without the consensus block
    APP_IMAGE_DOWNLOAD_FAILED = "APP_IMAGE_DOWNLOAD_FAILED"  #: pull failed or timed out
    INPUT_FILES_DOWNLOAD_FAILED = "INPUT_FILES_DOWNLOAD_FAILED"  #: an input file failed
    DATASET_FILE_DOWNLOAD_FAILED = "DATASET_FILE_DOWNLOAD_FAILED"  #: dataset could not be fetched
    DATASET_FILE_BAD_CHECKSUM = "DATASET_FILE_BAD_CHECKSUM"  #: dataset checksum mismatch
    APP_NOT_FOUND_LOCALLY = "APP_NOT_FOUND_LOCALLY"  #: the image vanished after download
    APP_COMPUTE_FAILED = "APP_COMPUTE_FAILED"  #: the app exited non-zero
    APP_COMPUTE_TIMEOUT = "APP_COMPUTE_TIMEOUT"  #: the app ran past the category time
    POST_COMPUTE_COMPUTED_FILE_NOT_FOUND = "POST_COMPUTE_COMPUTED_FILE_NOT_FOUND"  #: no computed.json
    POST_COMPUTE_RESULT_DIGEST_COMPUTATION_FAILED = "POST_COMPUTE_RESULT_DIGEST_COMPUTATION_FAILED"  #: no digest
    POST_COMPUTE_OUT_FOLDER_ZIP_FAILED = "POST_COMPUTE_OUT_FOLDER_ZIP_FAILED"  #: zipping failed
    POST_COMPUTE_TOO_LONG_RESULT_FILE_NAME = "POST_COMPUTE_TOO_LONG_RESULT_FILE_NAME"  #: name > 31 chars
    POST_COMPUTE_SEND_COMPUTED_FILE_FAILED = "POST_COMPUTE_SEND_COMPUTED_FILE_FAILED"  #: copy failed
    POST_COMPUTE_FAILED_UNKNOWN_ISSUE = "POST_COMPUTE_FAILED_UNKNOWN_ISSUE"  #: other post-compute failure
    DETERMINISM_HASH_NOT_FOUND = "DETERMINISM_HASH_NOT_FOUND"  #: no digest to contribute
    ENCLAVE_SIGNATURE_NOT_FOUND = "ENCLAVE_SIGNATURE_NOT_FOUND"  #: contribution cannot be built
    WORKERPOOL_AUTHORIZATION_NOT_FOUND = "WORKERPOOL_AUTHORIZATION_NOT_FOUND"  #: no authorization stored
    RESULT_LINK_MISSING = "RESULT_LINK_MISSING"  #: upload failed, no link
    TRUST_NOT_1 = "TRUST_NOT_1"  #: contribute-and-finalize needs trust 1
    TASK_ALREADY_CONTRIBUTED = "TASK_ALREADY_CONTRIBUTED"  #: someone already contributed
    CONTRIBUTION_TIMEOUT = "CONTRIBUTION_TIMEOUT"  #: contribution deadline passed
    REVEAL_TIMEOUT = "REVEAL_TIMEOUT"  #: reveal deadline passed
    CANNOT_REVEAL = "CANNOT_REVEAL"  #: on-chain reveal checks failed
    UNKNOWN = "UNKNOWN"  #: abort without a known cause


class ReplicateStatusModifier(str, Enum):
    """Who wrote a replicate status."""

    WORKER = "WORKER"  #: reported by the worker
    POOL_MANAGER = "POOL_MANAGER"  #: decided by the scheduler


class TaskStatus(str, Enum):
    """Where a task stands in the scheduler (spec/core-spec.md §4.1); order matters."""

    RECEIVED = "RECEIVED"  #: deal seen, task stored
    INITIALIZING = "INITIALIZING"  #: initialize tx under way
    INITIALIZED = "INITIALIZED"  #: on chain ACTIVE, waiting for workers
    INITIALIZE_FAILED = "INITIALIZE_FAILED"  #: initialize tx failed (transient, then FAILED)
    RUNNING = "RUNNING"  #: at least one replicate started
    RUNNING_FAILED = "RUNNING_FAILED"  #: every worker failed before computing (transient)
    CONTRIBUTION_TIMEOUT = "CONTRIBUTION_TIMEOUT"  #: contribution deadline passed (transient)
    CONSENSUS_REACHED = "CONSENSUS_REACHED"  #: on chain REVEALING
    REOPENING = "REOPENING"  #: reopen tx under way
    REOPENED = "REOPENED"  #: reopened on chain
    REOPEN_FAILED = "REOPEN_FAILED"  #: reopen tx failed (transient)
    AT_LEAST_ONE_REVEALED = "AT_LEAST_ONE_REVEALED"  #: a winner revealed
    RESULT_UPLOADING = "RESULT_UPLOADING"  #: an uploader was chosen
    RESULT_UPLOADED = "RESULT_UPLOADED"  #: the result repository holds the result
    RESULT_UPLOAD_TIMEOUT = "RESULT_UPLOAD_TIMEOUT"  #: no upload before the final deadline (transient)
    FINALIZING = "FINALIZING"  #: finalize tx under way
    FINALIZED = "FINALIZED"  #: finalize confirmed
    FINALIZE_FAILED = "FINALIZE_FAILED"  #: finalize tx failed (transient)
    FINAL_DEADLINE_REACHED = "FINAL_DEADLINE_REACHED"  #: final deadline passed (transient)
    COMPLETED = "COMPLETED"  #: done, result on chain
    FAILED = "FAILED"  #: done, no result

    @property
    def position(self) -> int:
        return _TASK_ORDER[self]

    def is_final(self) -> bool:
        return self in (TaskStatus.COMPLETED, TaskStatus.FAILED)


_TASK_ORDER = {status: i for i, status in enumerate(TaskStatus)}


class TaskNotificationType(str, Enum):
    """What the scheduler asks a worker to do next."""

    PLEASE_CONTINUE = "PLEASE_CONTINUE"  #: keep going
    PLEASE_WAIT = "PLEASE_WAIT"  #: nothing to do until told
    PLEASE_START = "PLEASE_START"  #: made locally when a replicate is taken
    PLEASE_DOWNLOAD_APP = "PLEASE_DOWNLOAD_APP"  #: pull the app image
    PLEASE_DOWNLOAD_DATA = "PLEASE_DOWNLOAD_DATA"  #: fetch dataset and input files
    PLEASE_COMPUTE = "PLEASE_COMPUTE"  #: run the app
    PLEASE_CONTRIBUTE = "PLEASE_CONTRIBUTE"  #: send contribute
    PLEASE_REVEAL = "PLEASE_REVEAL"  #: send reveal (consensus reached, you are in it)
    PLEASE_UPLOAD = "PLEASE_UPLOAD"  #: upload the result
    PLEASE_CONTRIBUTE_AND_FINALIZE = "PLEASE_CONTRIBUTE_AND_FINALIZE"  #: trust-1 one-shot
    PLEASE_COMPLETE = "PLEASE_COMPLETE"  #: task finalized, clean up
    PLEASE_ABORT = "PLEASE_ABORT"  #: stop and clean up


class TaskAbortCause(str, Enum):
    """Why a PLEASE_ABORT was sent."""

    CONTRIBUTION_TIMEOUT = "CONTRIBUTION_TIMEOUT"  #: the contribution deadline passed
    CONSENSUS_REACHED = "CONSENSUS_REACHED"  #: consensus reached without you
    UNKNOWN = "UNKNOWN"  #: anything else


class ChainTaskStatus(IntEnum):
    """PoCo ``TaskStatusEnum``."""

    UNSET = 0  #: not initialized
    ACTIVE = 1  #: taking contributions
    REVEALING = 2  #: consensus reached, taking reveals
    COMPLETED = 3  #: finalized
    FAILED = 4  #: claimed after the final deadline


class ChainContributionStatus(IntEnum):
    """PoCo ``ContributionStatusEnum``."""

    UNSET = 0  #: no contribution
    CONTRIBUTED = 1  #: contributed
    PROVED = 2  #: revealed
    REJECTED = 3  #: rejected by a reopen
