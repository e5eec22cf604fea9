"""A replicate's life through TaskRunner, against a scheduler applying the real workflow: every seeds/001 status
the worker reports, in order, with its cause; and an abort that interrupts a running app."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from workerpool.common.messages import ChainReceipt, TaskNotification, TaskNotificationExtra
from workerpool.common.statuses import ChainTaskStatus, TaskAbortCause
from workerpool.common.statuses import ReplicateStatus as S
from workerpool.common.statuses import ReplicateStatusCause as C
from workerpool.common.statuses import TaskNotificationType as N
from workerpool.compute.fake import FakeRuntime, bound_dir, writes_result
from workerpool.compute.runtime import ContainerRun, ContainerSpec
from workerpool.worker.agent import Agent
from workerpool.worker.runner import TaskRunner

from .stubs import IMAGE, TASK, TX_HASH, WORKER_STAKE, World, make_world, revealing_task, reverted

pytestmark = pytest.mark.timeout(20)

TO_COMPUTED = [S.CREATED, S.RUNNING, S.STARTING, S.STARTED, S.APP_DOWNLOADING, S.APP_DOWNLOADED,
               S.DATA_DOWNLOADING, S.DATA_DOWNLOADED, S.COMPUTING, S.COMPUTED]


def notify(kind: N, **extra: Any) -> TaskNotification:
    return TaskNotification(chain_task_id=TASK, task_notification_type=kind,
                            task_notification_extra=TaskNotificationExtra(**extra) if extra else None)


def runner_of(world: World) -> TaskRunner:
    return TaskRunner(world.ctx, world.state, on_end=lambda task_id: None)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path, runtime=FakeRuntime(behaviours={IMAGE: writes_result({"result.txt": "42"})}))


def computed(world: World) -> TaskRunner:
    """Start → compute, one step at a time; the scheduler's PLEASE_CONTRIBUTE is left to the test."""
    runner = runner_of(world)
    world.state.dirs.create()
    for kind in (N.PLEASE_START, N.PLEASE_DOWNLOAD_APP, N.PLEASE_DOWNLOAD_DATA, N.PLEASE_COMPUTE):
        runner._handle(kind, None)
    assert world.scheduler.statuses == TO_COMPUTED
    return runner


def test_start_reports_running_first_then_runs_the_whole_compute_chain(world: World) -> None:
    runner = runner_of(world)
    world.state.dirs.create()

    runner.handle(notify(N.PLEASE_START))

    # One notification: RUNNING (PLEASE_CONTINUE), then each answer chains the next step, up to contributing.
    assert world.scheduler.statuses == [*TO_COMPUTED, S.CAN_CONTRIBUTE, S.CONTRIBUTING, S.CONTRIBUTED]
    assert world.scheduler.refused == []
    assert world.scheduler.details(S.CONTRIBUTED).chain_receipt == ChainReceipt(block_number=7, tx_hash=TX_HASH)
    assert [fn for fn, _, _ in world.poco.sent] == ["contribute"]
    assert not runner.computing and not runner.finished


def test_a_refused_running_stops_before_starting(world: World) -> None:
    world.scheduler.pool_manager(S.STARTING)  # e.g. a replay: RUNNING no longer fits

    runner_of(world).handle(notify(N.PLEASE_START))

    assert world.scheduler.statuses == [S.CREATED, S.STARTING]
    assert world.scheduler.refused == [S.RUNNING]


@pytest.mark.parametrize(("setup", "status", "cause"), [
    ("stake", S.CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW, C.STAKE_TOO_LOW),
    ("not-active", S.CANT_CONTRIBUTE_SINCE_TASK_NOT_ACTIVE, C.TASK_NOT_ACTIVE),
    ("deadline", S.CANT_CONTRIBUTE_SINCE_AFTER_DEADLINE, C.CONTRIBUTION_TIMEOUT),
    ("already-set", S.CANT_CONTRIBUTE_SINCE_CONTRIBUTION_ALREADY_SET, C.CONTRIBUTION_ALREADY_SET),
    ("no-authorization", S.CONTRIBUTE_FAILED, C.WORKERPOOL_AUTHORIZATION_NOT_FOUND),
])  # fmt: skip
def test_cannot_contribute_is_reported_with_its_cause_then_aborted(world: World, setup: str, status: S,
                                                                   cause: C) -> None:
    runner = computed(world)
    if setup == "stake":
        world.poco.stake_nrlc = WORKER_STAKE - 1
    elif setup == "not-active":
        world.poco.task = replace(world.poco.task, status=ChainTaskStatus.REVEALING)
    elif setup == "deadline":
        world.ctx.clock = lambda: float(world.poco.task.contribution_deadline)
    elif setup == "already-set":
        world.poco.task = replace(world.poco.task, contributors=(world.wallet,))
    else:
        world.state.authorization = None

    runner.handle(notify(N.PLEASE_CONTRIBUTE))

    assert world.scheduler.statuses == [*TO_COMPUTED, status, S.ABORTED]
    assert world.scheduler.details(status).cause is cause
    assert world.scheduler.details(S.ABORTED).cause is C.UNKNOWN  # a locally chained abort has no cause
    assert world.poco.sent == [] and runner.finished
    assert not world.state.dirs.task_dir.exists()


def test_no_digest_is_a_contribute_failure(world: World) -> None:
    runner = computed(world)
    world.state.digest = None
    world.state.dirs.remove()

    runner.handle(notify(N.PLEASE_CONTRIBUTE))

    assert world.scheduler.statuses == [*TO_COMPUTED, S.CONTRIBUTE_FAILED, S.ABORTED]
    assert world.scheduler.details(S.CONTRIBUTE_FAILED).cause is C.DETERMINISM_HASH_NOT_FOUND


def test_an_empty_wallet_is_out_of_gas_not_an_exit(world: World) -> None:
    runner = computed(world)
    world.poco.sender.balance = 0

    runner.handle(notify(N.PLEASE_CONTRIBUTE))

    assert world.scheduler.statuses == [*TO_COMPUTED, S.CAN_CONTRIBUTE, S.OUT_OF_GAS, S.ABORTED]
    assert world.scheduler.details(S.OUT_OF_GAS).cause is C.OUT_OF_GAS
    assert world.poco.sent == [] and runner.finished


def test_a_reverted_contribute_is_reported_with_its_receipt(world: World) -> None:
    runner = computed(world)
    world.poco.outcomes["contribute"] = reverted("contribute", block=55)

    runner.handle(notify(N.PLEASE_CONTRIBUTE))

    assert world.scheduler.statuses == [*TO_COMPUTED, S.CAN_CONTRIBUTE, S.CONTRIBUTING, S.CONTRIBUTE_FAILED,
                                        S.ABORTED]
    details = world.scheduler.details(S.CONTRIBUTE_FAILED)
    assert (details.cause, details.chain_receipt) == (C.CHAIN_RECEIPT_NOT_VALID,
                                                      ChainReceipt(block_number=55, tx_hash=TX_HASH))


def _contributed(world: World) -> TaskRunner:
    runner = computed(world)
    runner.handle(notify(N.PLEASE_CONTRIBUTE))
    assert world.scheduler.statuses[-1] is S.CONTRIBUTED
    world.poco.task, world.poco.contribution = revealing_task(world.wallet, world.state.digest or "")
    return runner


def test_the_winner_reveals_uploads_and_completes(world: World) -> None:
    runner = _contributed(world)

    runner.handle(notify(N.PLEASE_REVEAL, block_number=90))
    world.scheduler.pool_manager(S.RESULT_UPLOAD_REQUESTED)
    runner.handle(notify(N.PLEASE_UPLOAD))
    runner.handle(notify(N.PLEASE_COMPLETE))

    assert world.scheduler.statuses[len(TO_COMPUTED) + 3:] == [
        S.REVEALING, S.REVEALED, S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOADING, S.RESULT_UPLOADED, S.COMPLETING,
        S.COMPLETED]
    assert world.scheduler.details(S.RESULT_UPLOADED).result_link == f"http://results/{TASK}"
    assert runner.finished and not world.state.dirs.task_dir.exists()


@pytest.mark.parametrize(("case", "status", "cause"), [
    ("no-block", S.REVEAL_FAILED, C.CONSENSUS_BLOCK_MISSING),
    ("checks", S.CANT_REVEAL, C.CANNOT_REVEAL),
    ("gas", S.OUT_OF_GAS, C.OUT_OF_GAS),
])  # fmt: skip
def test_reveal_refusals_are_reported_with_their_cause_then_aborted(world: World, case: str, status: S,
                                                                    cause: C) -> None:
    runner = _contributed(world)
    extra: dict[str, Any] = {} if case == "no-block" else {"block_number": 90}
    if case == "checks":
        world.poco.task = replace(world.poco.task, reveal_deadline=0)
    if case == "gas":
        world.poco.sender.balance = 0

    runner.handle(notify(N.PLEASE_REVEAL, **extra))

    assert world.scheduler.statuses[len(TO_COMPUTED) + 3:] == [status, S.ABORTED]
    assert world.scheduler.details(status).cause is cause
    assert [fn for fn, _, _ in world.poco.sent] == ["contribute"]


def test_a_reverted_reveal_is_reported_with_its_receipt(world: World) -> None:
    runner = _contributed(world)
    world.poco.outcomes["reveal"] = reverted("reveal", block=91)

    runner.handle(notify(N.PLEASE_REVEAL, block_number=90))

    assert world.scheduler.statuses[len(TO_COMPUTED) + 3:] == [S.REVEALING, S.REVEAL_FAILED, S.ABORTED]
    assert world.scheduler.details(S.REVEAL_FAILED).chain_receipt == ChainReceipt(block_number=91, tx_hash=TX_HASH)


def test_an_uploader_without_result_refuses_and_waits_for_another_uploader(world: World) -> None:
    runner = _contributed(world)
    runner.handle(notify(N.PLEASE_REVEAL, block_number=90))
    world.scheduler.pool_manager(S.RESULT_UPLOAD_REQUESTED)
    world.state.dirs.zip_path.unlink()

    runner.handle(notify(N.PLEASE_UPLOAD))

    assert world.scheduler.statuses[-2:] == [S.RESULT_UPLOAD_REQUESTED, S.RESULT_UPLOAD_REQUEST_FAILED]
    assert world.scheduler.details(S.RESULT_UPLOAD_REQUEST_FAILED).cause is C.RESULT_LINK_MISSING
    assert world.scheduler.uploads == [] and not runner.finished  # no action: it is still paid on completion
    runner.handle(notify(N.PLEASE_COMPLETE))
    assert world.scheduler.statuses[-1] is S.COMPLETED


def test_a_failed_upload_is_reported(world: World) -> None:
    runner = _contributed(world)
    runner.handle(notify(N.PLEASE_REVEAL, block_number=90))
    world.scheduler.pool_manager(S.RESULT_UPLOAD_REQUESTED)
    world.scheduler.uploads_fail = True

    runner.handle(notify(N.PLEASE_UPLOAD))

    assert world.scheduler.statuses[-3:] == [S.RESULT_UPLOADING, S.RESULT_UPLOAD_FAILED, S.ABORTED]
    assert world.scheduler.details(S.RESULT_UPLOAD_FAILED).cause is C.RESULT_LINK_MISSING


@pytest.mark.parametrize(("abort_cause", "status", "cause"), [
    (TaskAbortCause.CONSENSUS_REACHED, S.ABORTED_ON_CONSENSUS_REACHED, C.CONSENSUS_REACHED),
    (TaskAbortCause.CONTRIBUTION_TIMEOUT, S.ABORTED_ON_CONTRIBUTION_TIMEOUT, C.CONTRIBUTION_TIMEOUT),
    (TaskAbortCause.UNKNOWN, S.ABORTED, C.UNKNOWN),
])  # fmt: skip
def test_scheduler_aborts_are_reported_with_their_cause(world: World, abort_cause: TaskAbortCause, status: S,
                                                        cause: C) -> None:
    runner = _contributed(world)

    runner.handle(notify(N.PLEASE_ABORT, task_abort_cause=abort_cause))

    assert world.scheduler.statuses[-2:] == [S.CONTRIBUTED, status]
    assert world.scheduler.details(status).cause is cause
    assert runner.finished and world.runtime.stops == [TASK]
    assert not world.state.dirs.task_dir.exists()


# ---- an abort while the app runs --------------------------------------------------------------------------------

class BlockingRuntime(FakeRuntime):
    """The app runs until its container is stopped."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.killed = threading.Event()
        super().__init__(behaviours={IMAGE: self._block})

    def _block(self, spec: ContainerSpec) -> ContainerRun:
        self.started.set()
        assert self.killed.wait(10), "the container was never stopped"
        (bound_dir(spec, "/iexec_out") / "partial.txt").write_text("interrupted")
        return ContainerRun(137, False, "", "killed", 0.1)

    def stop_containers(self, name_contains: str) -> int:
        self.killed.set()
        return super().stop_containers(name_contains)


def _started(tmp_path: Path, runtime: FakeRuntime) -> tuple[World, TaskRunner, threading.Event]:
    """A runner on its own thread, sent PLEASE_START; the event is set when the runner ends."""
    world = make_world(tmp_path, runtime=runtime)
    ended = threading.Event()
    runner = TaskRunner(world.ctx, world.state, on_end=lambda task_id: ended.set())
    world.state.dirs.create()
    runner.start()
    runner.submit(notify(N.PLEASE_START))
    return world, runner, ended


def test_an_abort_interrupts_the_running_app_and_is_handled_next(tmp_path: Path) -> None:
    runtime = BlockingRuntime()
    world, runner, ended = _started(tmp_path, runtime)
    assert runtime.started.wait(10)

    runner.interrupt()  # what the agent's dispatcher does on PLEASE_ABORT, before queueing it
    runner.submit(notify(N.PLEASE_ABORT, task_abort_cause=TaskAbortCause.CONTRIBUTION_TIMEOUT))

    assert ended.wait(10)
    # The interrupted compute is not reported (no COMPUTED, so no PLEASE_CONTRIBUTE): the abort comes next.
    assert world.scheduler.statuses == [*TO_COMPUTED[:-1], S.ABORTED_ON_CONTRIBUTION_TIMEOUT]
    assert runtime.stops[0] == TASK and world.poco.sent == []
    assert not world.state.dirs.task_dir.exists() and runner.finished


class LateStartRuntime(BlockingRuntime):
    """The container appears only after a stop was already attempted (abort just before the start)."""

    def __init__(self) -> None:
        super().__init__()
        self.may_start = threading.Event()
        self.container_up = False

    def _block(self, spec: ContainerSpec) -> ContainerRun:
        assert self.may_start.wait(10)
        self.container_up = True
        self.killed.clear()
        return super()._block(spec)

    def stop_containers(self, name_contains: str) -> int:
        if not self.container_up:
            return 0  # nothing to stop yet
        return super().stop_containers(name_contains)


def test_an_abort_just_before_the_container_starts_still_stops_it(tmp_path: Path) -> None:
    runtime = LateStartRuntime()
    world, runner, ended = _started(tmp_path, runtime)
    while not runner.busy:
        threading.Event().wait(0.01)

    runner.interrupt()
    runner.submit(notify(N.PLEASE_ABORT, task_abort_cause=TaskAbortCause.CONTRIBUTION_TIMEOUT))
    runtime.may_start.set()  # the container starts after the first stop attempt found nothing

    assert ended.wait(10)
    assert world.scheduler.statuses[-1] is S.ABORTED_ON_CONTRIBUTION_TIMEOUT
    assert runner.finished


def test_an_idle_runner_is_not_sent_a_container_stop(world: World) -> None:
    runner = runner_of(world)

    runner.interrupt()
    runner.handle(notify(N.PLEASE_COMPUTE))  # dropped: the queued abort comes first
    runner.handle(notify(N.PLEASE_ABORT))

    assert world.runtime.stops == [TASK]  # only the abort action's own stop
    assert world.scheduler.statuses == [S.CREATED, S.ABORTED]


def test_the_agent_dispatcher_interrupts_a_busy_runner_on_abort(world: World) -> None:
    agent = object.__new__(Agent)
    agent.wallet, agent.runners, agent._lock, agent.ctx = world.wallet, {}, threading.Lock(), world.ctx
    calls: list[str] = []

    class Recorder:
        busy = True

        def interrupt(self) -> None:
            calls.append("interrupt")

        def submit(self, notification: TaskNotification) -> None:
            calls.append(notification.task_notification_type.value)

    agent.runners[TASK] = Recorder()  # type: ignore[assignment]
    agent._dispatch(notify(N.PLEASE_WAIT))
    agent._dispatch(notify(N.PLEASE_ABORT, task_abort_cause=TaskAbortCause.CONSENSUS_REACHED))

    assert calls == ["PLEASE_WAIT", "interrupt", "PLEASE_ABORT"]


def _agent(world: World) -> Agent:
    agent = object.__new__(Agent)
    agent.wallet, agent.runners, agent._lock, agent.ctx = world.wallet, {}, threading.Lock(), world.ctx
    agent.settings = world.ctx.settings.model_copy(update={"base_dir": world.state.dirs.base_dir})
    agent.metrics = world.ctx.metrics
    return agent


def test_a_broadcast_about_an_unknown_task_starts_nothing(world: World) -> None:
    agent = _agent(world)

    agent._dispatch(notify(N.PLEASE_COMPLETE))  # empty workers_address: a broadcast

    assert agent.runners == {}
    assert world.scheduler.statuses == [S.CREATED]


def test_only_a_replicate_that_still_computes_holds_a_cpu_slot(world: World) -> None:
    agent = _agent(world)
    runner = agent._runner(TASK, N.PLEASE_REVEAL)

    assert runner.computing is False
    assert agent._runner(TASK, N.PLEASE_START) is runner  # the same task keeps its runner
    runner.stop()


def test_an_unexpected_fault_in_an_action_is_reported_as_the_step_failure(world: World) -> None:
    runner = runner_of(world)
    world.state.dirs.create()
    runner._handle(N.PLEASE_START, None)
    runner._handle(N.PLEASE_DOWNLOAD_APP, None)
    runner._handle(N.PLEASE_DOWNLOAD_DATA, None)

    def docker_gone(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("docker engine vanished")

    world.ctx.runtime.run = docker_gone  # type: ignore[method-assign]
    runner._handle(N.PLEASE_COMPUTE, None)

    assert world.scheduler.statuses[-1] is S.COMPUTE_FAILED
    details = world.scheduler.details(S.COMPUTE_FAILED)
    assert details.cause is C.UNKNOWN
    assert "docker engine vanished" in (details.error_message or "")
