"""Wire messages: camelCase on the wire, snake_case in Python, unknown fields ignored, enums validated."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from workerpool.common.messages import (
    ChainReceipt,
    NotificationBatch,
    PublicConfiguration,
    ReplicateStatusDetails,
    ReplicateStatusUpdate,
    TaskNotification,
    TaskNotificationExtra,
    UpdateAnswer,
    WorkerModel,
    result_link,
)
from workerpool.common.statuses import (
    ReplicateStatus,
    ReplicateStatusCause,
    TaskAbortCause,
    TaskNotificationType,
)

TASK = "0x" + "ab" * 32


def test_status_update_round_trip_in_camel_case() -> None:
    update = ReplicateStatusUpdate(status=ReplicateStatus.CONTRIBUTED, details=ReplicateStatusDetails(
        chain_receipt=ChainReceipt(block_number=12, tx_hash="0x" + "01" * 32), result_digest="0x" + "02" * 32,
        cause=ReplicateStatusCause.APP_COMPUTE_FAILED, exit_code=3))

    wire = update.wire()

    assert wire["status"] == "CONTRIBUTED"
    assert wire["details"]["chainReceipt"] == {"blockNumber": 12, "txHash": "0x" + "01" * 32}
    assert wire["details"]["resultDigest"] == "0x" + "02" * 32
    assert wire["details"]["cause"] == "APP_COMPUTE_FAILED" and wire["details"]["exitCode"] == 3
    assert ReplicateStatusUpdate.model_validate(json.loads(json.dumps(wire))) == update


def test_snake_case_names_are_accepted_too() -> None:
    details = ReplicateStatusDetails.model_validate({"result_link": "x", "errorMessage": "boom"})

    assert (details.result_link, details.error_message) == ("x", "boom")


def test_unknown_fields_are_ignored() -> None:
    update = ReplicateStatusUpdate.model_validate({"status": "COMPUTED", "modifier": "WORKER", "date": 1,
                                                   "details": {"teeSessionGenerationError": "x"}})

    assert update.status is ReplicateStatus.COMPUTED
    assert update.details == ReplicateStatusDetails()
    assert "modifier" not in update.wire()


@pytest.mark.parametrize("status", ["RUNNING", "CANT_CONTRIBUTE_SINCE_STAKE_TOO_LOW", "OUT_OF_GAS",
                                    "ABORTED_ON_CONSENSUS_REACHED", "RESULT_UPLOAD_REQUEST_FAILED"])
def test_seed_001_statuses_travel_on_the_wire(status: str) -> None:
    update = ReplicateStatusUpdate.model_validate({"status": status, "details": {"cause": "OUT_OF_GAS"}})

    assert update.status.value == status
    assert ReplicateStatusUpdate.model_validate(update.wire()) == update


@pytest.mark.parametrize("status", ["RUNNIN", "computed", "", "CANT_CONTRIBUTE_SINCE_STAKE", "ABORTED_ON"])
def test_invalid_status_is_rejected(status: str) -> None:
    with pytest.raises(ValidationError):
        ReplicateStatusUpdate.model_validate({"status": status})


def test_invalid_cause_and_notification_type_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ReplicateStatusDetails.model_validate({"cause": "NOT_A_CAUSE"})
    with pytest.raises(ValidationError):
        TaskNotification.model_validate({"chainTaskId": TASK, "taskNotificationType": "PLEASE_DANCE"})


def test_notification_batch_round_trip() -> None:
    batch = NotificationBatch(cursor=7, notifications=[TaskNotification(
        id=7, chain_task_id=TASK, workers_address=["0x" + "11" * 20],
        task_notification_type=TaskNotificationType.PLEASE_ABORT,
        task_notification_extra=TaskNotificationExtra(task_abort_cause=TaskAbortCause.CONSENSUS_REACHED,
                                                      block_number=5))])

    wire = batch.wire()

    first = wire["notifications"][0]
    assert first["chainTaskId"] == TASK and first["workersAddress"] == ["0x" + "11" * 20]
    assert first["taskNotificationType"] == "PLEASE_ABORT"
    assert first["taskNotificationExtra"]["taskAbortCause"] == "CONSENSUS_REACHED"
    assert NotificationBatch.model_validate(wire) == batch


def test_broadcast_notification_defaults() -> None:
    note = TaskNotification.model_validate({"chainTaskId": TASK, "taskNotificationType": "PLEASE_COMPLETE"})

    assert note.workers_address == [] and note.id == 0 and note.task_notification_extra is None


def test_update_answer_defaults_and_null_next_action() -> None:
    assert UpdateAnswer().wire() == {"nextAction": None, "accepted": True, "reason": None}
    assert UpdateAnswer.model_validate({"nextAction": "PLEASE_WAIT"}).next_action is TaskNotificationType.PLEASE_WAIT


def test_worker_model_requires_at_least_one_cpu() -> None:
    worker = WorkerModel.model_validate({"name": "w1", "cpuNb": 2, "gpuEnabled": True, "memorySize": 8})

    assert (worker.cpu_nb, worker.gpu_enabled, worker.memory_size) == (2, True, 8)
    with pytest.raises(ValidationError):
        WorkerModel.model_validate({"name": "w1", "cpuNb": 0})
    with pytest.raises(ValidationError):
        WorkerModel.model_validate({"name": "w1"})


def test_public_configuration_wire_names() -> None:
    config = PublicConfiguration(workerpool_address="0x" + "22" * 20, scheduler_public_address="0x" + "33" * 20,
                                 chain_id=31337, chain_node_url="http://127.0.0.1:8545",
                                 iexec_hub_address="0x" + "44" * 20, result_repository_url="http://r",
                                 ask_for_replicate_period_ms=5000)

    wire = config.wire()

    assert wire["workerpoolAddress"] == "0x" + "22" * 20 and wire["askForReplicatePeriodMs"] == 5000
    assert wire["iexecHubAddress"] == "0x" + "44" * 20 and wire["chainNodeUrl"] == "http://127.0.0.1:8545"
    assert PublicConfiguration.model_validate(wire) == config


def test_result_link_is_compact_json() -> None:
    assert result_link("ipfs", "/ipfs/Qm") == '{"storage":"ipfs","location":"/ipfs/Qm"}'
    assert json.loads(result_link("http", "x")) == {"storage": "http", "location": "x"}
