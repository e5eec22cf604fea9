"""Worker metrics: compute-stage durations over a sliding window, and Prometheus counters."""

from __future__ import annotations

import threading
from collections import deque

from prometheus_client import CollectorRegistry, Counter, Gauge

__all__ = ["WorkerMetrics"]


class WorkerMetrics:
    def __init__(self, *, window_size: int = 1000):
        self._lock = threading.Lock()
        self._durations: dict[str, deque[float]] = {
            stage: deque(maxlen=window_size) for stage in ("appCompute", "postCompute", "completeCompute")}
        self.registry = CollectorRegistry()
        self.transactions = Counter("iexec_poco_transaction", "PoCo transactions sent", ["status"],
                                    registry=self.registry)
        self.replicates = Counter("workerpool_worker_replicates", "Replicates ended, by final status",
                                  ["status"], registry=self.registry)
        self.running = Gauge("workerpool_worker_running_tasks", "Tasks this worker is handling",
                             registry=self.registry)
        self.latest_block = Gauge("iexec_chain_block_latest", "Latest block seen", registry=self.registry)
        self.app_duration = Gauge("iexec_app_compute_duration_average", "Average app compute duration (ms)",
                                  registry=self.registry)

    def add_duration(self, stage: str, duration_s: float) -> None:
        with self._lock:
            self._durations[stage].append(duration_s * 1000)
            if stage == "appCompute":
                samples = self._durations[stage]
                self.app_duration.set(sum(samples) / len(samples))

    def durations(self) -> dict[str, dict[str, float]]:
        with self._lock:
            out = {}
            for stage, samples in self._durations.items():
                values = list(samples)
                out[f"{stage}Durations"] = {
                    "minDuration": min(values) if values else float("nan"),
                    "maxDuration": max(values) if values else float("nan"),
                    "averageDuration": sum(values) / len(values) if values else float("nan"),
                    "durationSamplesCount": float(len(values)),
                }
            return out
