"""The embedded dev chain: a Hardhat node with the genuine PoCo v6.1.0 deployed from npm artifacts.

Modules: ``node`` (start/stop the Hardhat subprocess), ``deploy`` (deploy PoCo, record it in
``chain.json``), ``accounts`` (fund, stake, register assets, move time). Dev and tests only.
"""

from __future__ import annotations

__all__: list[str] = []
