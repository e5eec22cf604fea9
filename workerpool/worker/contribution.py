"""The on-chain steps of a replicate: checks before contributing and revealing, then the transactions.

Checks return an :class:`Outcome` naming the seeds/001 status to report (CANT_CONTRIBUTE_SINCE_*, OUT_OF_GAS,
CANT_REVEAL, ...) or None to go on; the transactions are sent with fixed gas limits (worker-spec §6.3), so a
reverting call is still mined and its receipt is reported with CONTRIBUTE_FAILED / REVEAL_FAILED.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from workerpool.common.errors import ChainError, TransactionFailed
from workerpool.common.hashing import result_hash, result_seal
from workerpool.common.messages import ChainReceipt
from workerpool.common.statuses import ChainContributionStatus, ChainTaskStatus
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C

from .actions import Outcome, ReplicateState, chain_causes, restore_digest
from .checks import has_enough_gas
from .context import WorkerContext

__all__ = ["CANT_CONTRIBUTE_STATUS", "contribute_check", "funds_check", "contribute", "reveal_check", "reveal"]

log = logging.getLogger(__name__)

#: The seeds/001 status of each cannot-contribute cause; any other cause is a CONTRIBUTE_FAILED.
CANT_CONTRIBUTE_STATUS = {
    C.STAKE_TOO_LOW: S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW,
    C.TASK_NOT_ACTIVE: S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE,
    C.CONTRIBUTION_TIMEOUT: S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE,
    C.CONTRIBUTION_ALREADY_SET: S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET,
}
#: How long reveal waits for the node to reach the consensus block (worker-spec §6.6 step 3).
BLOCK_WAIT_TRIES = 10
BLOCK_WAIT_STEP_S = 0.5


def contribute_check(ctx: WorkerContext, st: ReplicateState) -> Outcome | None:
    """The cannot-contribute checks in the iExec order, then the digest; None = CAN_CONTRIBUTE."""
    causes = chain_causes(ctx, st)
    if causes:
        cause = causes[0]
        status = CANT_CONTRIBUTE_STATUS.get(cause, S.CONTRIBUTE_FAILED)
        log.warning("cannot contribute: %s -> %s %s", ", ".join(c.value for c in causes), status.value, st.ids())
        return Outcome.failure(cause, "; ".join(c.value for c in causes), status=status)
    digest = st.digest or restore_digest(st)
    if digest is None:
        return Outcome.failure(C.DETERMINISM_HASH_NOT_FOUND, "no computed result to contribute",
                               status=S.CONTRIBUTE_FAILED)
    st.digest = digest
    return None


def funds_check(ctx: WorkerContext, st: ReplicateState) -> Outcome | None:
    """OUT_OF_GAS when the wallet cannot pay one transaction at the gas price cap (worker-spec §6.4, §12.9)."""
    sender = ctx.poco.sender
    assert sender is not None, "the worker's PoCo client sends transactions"
    try:
        balance_wei = sender.balance_wei()
    except Exception as e:  # a failed balance read must not stop a transaction (worker-spec §11.2)
        log.warning("cannot read the wallet balance (%s): trying the transaction anyway %s", e, st.ids())
        return None
    if has_enough_gas(balance_wei, ctx.settings.gas_price_cap_wei):
        return None
    log.error("wallet holds %d wei, less than one transaction at the gas price cap: send it ETH %s",
              balance_wei, st.ids())
    return Outcome.failure(C.OUT_OF_GAS, f"wallet {ctx.wallet} holds {balance_wei} wei: send it ETH",
                           status=S.OUT_OF_GAS)


def _receipt(block_number: int, tx_hash: str) -> dict[str, Any]:
    return {"chain_receipt": ChainReceipt(block_number=block_number, tx_hash=tx_hash)}


def _reverted(ctx: WorkerContext, st: ReplicateState, what: str, e: TransactionFailed) -> Outcome:
    ctx.metrics.transactions.labels("failure").inc()
    log.error("%s failed: %s %s", what, e, st.ids())
    if not e.tx_hash:  # refused before being mined: nothing to show
        return Outcome.failure(C.CHAIN_RECEIPT_NOT_VALID, str(e))
    raw_block = (e.receipt or {}).get("blockNumber")
    block = raw_block if isinstance(raw_block, int) else 0
    return Outcome.failure(C.CHAIN_RECEIPT_NOT_VALID, str(e), **_receipt(block, e.tx_hash))


def _send(ctx: WorkerContext, st: ReplicateState, what: str, event: str, send: Any) -> Outcome:
    with ctx.tx_lock:
        try:
            receipt = send()
        except TransactionFailed as e:
            return _reverted(ctx, st, what, e)
        except ChainError as e:
            return Outcome.failure(C.CHAIN_UNREACHABLE, str(e))
    ok = ctx.poco.receipt_has_event(receipt, event, st.chain_task_id)
    ctx.metrics.transactions.labels("success" if ok else "failure").inc()
    details = _receipt(receipt.block_number, receipt.tx_hash)
    if not ok:
        return Outcome.failure(C.CHAIN_RECEIPT_NOT_VALID, f"no {event} event in the receipt", **details)
    log.info("%s mined in block %d %s", what, receipt.block_number, st.ids())
    return Outcome.success(**details)


def contribute(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    """Send ``contribute`` (after :func:`contribute_check` and CAN_CONTRIBUTE)."""
    auth, digest = st.authorization, st.digest
    assert auth is not None and digest is not None, "contribute_check passed"
    h, seal = result_hash(st.chain_task_id, digest), result_seal(ctx.wallet, st.chain_task_id, digest)
    return _send(ctx, st, "contribute", "TaskContribute",
                 lambda: ctx.poco.contribute(st.chain_task_id, h, seal, auth.signature,
                                             enclave_challenge=auth.enclave_challenge))


def _block_reached(ctx: WorkerContext, block: int) -> bool:
    for attempt in range(BLOCK_WAIT_TRIES):
        if ctx.poco.block_number() >= block:
            return True
        if attempt + 1 < BLOCK_WAIT_TRIES:
            time.sleep(BLOCK_WAIT_STEP_S)
    return False


def _can_reveal(ctx: WorkerContext, st: ReplicateState, digest: str) -> bool:
    task = ctx.poco.view_task(st.chain_task_id)
    mine = ctx.poco.view_contribution(st.chain_task_id, ctx.wallet)
    return (task.status is ChainTaskStatus.REVEALING and task.reveal_deadline > ctx.clock()
            and mine.status is ChainContributionStatus.CONTRIBUTED and mine.result_hash == task.consensus_value
            and mine.result_hash == result_hash(st.chain_task_id, digest)
            and mine.result_seal == result_seal(ctx.wallet, st.chain_task_id, digest))


def reveal_check(ctx: WorkerContext, st: ReplicateState) -> Outcome | None:
    """Worker-spec §6.6 steps 1-4: REVEAL_FAILED with its cause, CANT_REVEAL, or None to reveal."""
    block = st.extra.block_number if st.extra else 0
    if block <= 0:
        return Outcome.failure(C.CONSENSUS_BLOCK_MISSING, "PLEASE_REVEAL without the consensus block")
    digest = st.digest or restore_digest(st)
    if digest is None:
        return Outcome.failure(C.DETERMINISM_HASH_NOT_FOUND, "no computed result to reveal")
    st.digest = digest
    try:
        if not _block_reached(ctx, block):
            return Outcome.failure(C.BLOCK_NOT_REACHED, f"the node has not reached the consensus block {block}")
        if not _can_reveal(ctx, st, digest):
            log.warning("on-chain checks for reveal failed %s", st.ids())
            return Outcome.failure(C.CANNOT_REVEAL, "on-chain checks for reveal failed", status=S.CANT_REVEAL)
    except ChainError as e:
        return Outcome.failure(C.CHAIN_UNREACHABLE, str(e))
    return None


def reveal(ctx: WorkerContext, st: ReplicateState) -> Outcome:
    """Send ``reveal`` (after :func:`reveal_check`)."""
    digest = st.digest
    assert digest is not None, "reveal_check passed"
    return _send(ctx, st, "reveal", "TaskReveal", lambda: ctx.poco.reveal(st.chain_task_id, digest))
