"""What a task asks for, read from the chain once per task and cached."""

from __future__ import annotations

from dataclasses import dataclass

from workerpool.chain.models import ChainDeal
from workerpool.chain.poco import PocoClient

__all__ = ["TaskDescription", "load_description"]


@dataclass(frozen=True)
class TaskDescription:
    chain_task_id: str
    deal_id: str
    task_index: int
    deal: ChainDeal
    image: str
    app_type: str
    max_execution_time_s: int
    contribution_deadline_s: int
    final_deadline_s: int

    @property
    def args(self) -> str:
        return self.deal.param("iexec_args")

    @property
    def has_dataset(self) -> bool:
        return int(self.deal.dataset, 16) != 0


def load_description(poco: PocoClient, chain_task_id: str) -> TaskDescription | None:
    """None when the task is not initialized on chain (nothing to compute)."""
    task = poco.view_task(chain_task_id)
    if task.deal_id == "0x" + "00" * 32:
        return None
    deal = poco.view_deal(task.deal_id)
    app = poco.view_app(deal.app)
    time_ref = poco.view_category(deal.category).work_clock_time_ref_s
    return TaskDescription(chain_task_id=chain_task_id, deal_id=task.deal_id, task_index=task.idx, deal=deal,
                           image=app.multiaddr, app_type=app.app_type, max_execution_time_s=time_ref,
                           contribution_deadline_s=deal.start_time + 7 * time_ref,
                           final_deadline_s=deal.start_time + 10 * time_ref)
