"""Compute: task folders, the container runtime, the app container, post-compute and the result digest.

Modules: ``layout`` (TaskDirs), ``registry`` (image names, credentials), ``runtime`` (ContainerRuntime,
DockerRuntime), ``fake`` (FakeRuntime), ``app`` (run_app), ``computed`` (computed.json), ``digest``
(result digest), ``zipping`` (deterministic zip), ``results`` (post_compute, error hook, requester check),
``images`` (busybox test/demo images). Imports only ``workerpool.common``.
"""

from __future__ import annotations

__all__: list[str] = []
