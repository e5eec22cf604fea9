"""Shared fixtures: a real Hardhat node with PoCo (tests/fixtures_chain.py) and a real Docker engine
(tests/fixtures_docker.py). Both follow tests/services.py: skipped locally when missing, failed in CI."""

pytest_plugins = ["tests.fixtures_chain", "tests.fixtures_docker"]
