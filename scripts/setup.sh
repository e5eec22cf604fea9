#!/usr/bin/env bash
# Install everything workerpool needs on a fresh Debian machine, idempotently:
#   system packages (Docker engine, a local registry, busybox-static, htpasswd, Node.js),
#   the Python package with its dev extras in .venv, the pinned npm packages (npm ci),
#   and a running Docker engine. Each step says what it did; a failing step stops with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*"; }
started=$(date +%s)

# ---- system packages ---------------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[[ -x /usr/bin/docker-registry ]] || need+=(docker-registry)
[[ -x /bin/busybox ]] || need+=(busybox-static)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  [[ $(id -u) -eq 0 ]] || { echo "setup: missing ${need[*]}: run as root or install them" >&2; exit 1; }
  say "installing ${need[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  say "system packages present"
fi
# docker-registry's Debian service would hold port 5000; tests start their own registries.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now docker-registry >/dev/null 2>&1 || true; fi

# ---- Python -----------------------------------------------------------------------------------------
PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $($PYTHON --version)"
  $PYTHON -m venv .venv
fi
if ! .venv/bin/python -c "import workerpool, pytest, web3, fastapi, docker" >/dev/null 2>&1 \
   || [[ pyproject.toml -nt .venv/.installed ]]; then
  say "installing the Python package and its dev extras"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[dev]"
  touch .venv/.installed
else
  say "Python package installed"
fi

# ---- npm (genuine PoCo artifacts + Hardhat), pinned by package-lock.json --------------------------------
if [[ ! -d node_modules/@iexec/poco/artifacts || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "npm ci (@iexec/poco, hardhat)"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
else
  say "npm packages installed"
fi

# ---- Docker engine ----------------------------------------------------------------------------------
bash scripts/ensure-docker.sh

# ---- PostgreSQL (integration tests run the scheduler's database layer on it too) --------------------------
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [[ -d /etc/postgresql ]]; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  say "PostgreSQL answers on 127.0.0.1:5432"
else
  say "no PostgreSQL on 127.0.0.1:5432: its tests skip locally and fail in CI"
fi

say "done in $(( $(date +%s) - started )) s"
