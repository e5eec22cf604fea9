# One command each: `make demo` starts a local pool and computes a task; `make test` runs every test.
.PHONY: setup demo test test-fast lint clean down

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/workerpool demo

test: setup
	.venv/bin/ruff check workerpool tests
	.venv/bin/lint-imports
	.venv/bin/pytest -q

test-fast: setup
	.venv/bin/pytest -q tests/unit

down:
	.venv/bin/workerpool down

clean:
	rm -rf .venv node_modules .pytest_cache .ruff_cache .mypy_cache results
