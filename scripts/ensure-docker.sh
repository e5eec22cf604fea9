#!/usr/bin/env bash
# Make sure a Docker engine answers: install docker.io if dockerd is missing, start dockerd if it is down.
# Log of a started engine: /var/log/dockerd.log. Exit 0 when `docker info` answers, non-zero otherwise.
set -euo pipefail

readonly LOG_FILE=/var/log/dockerd.log
readonly WAIT_S=60

say() { echo "ensure-docker: $*"; }
fail() { echo "ensure-docker: ERROR: $*" >&2; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && engine_answers; then
  say "Docker engine already answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
  [[ $(id -u) -eq 0 ]] || fail "dockerd is missing and installing it needs root: run 'sudo $0'"
  say "dockerd not found: installing docker.io with apt-get"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y docker.io
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  say "dockerd is running but does not answer yet: waiting"
else
  [[ $(id -u) -eq 0 ]] || fail "dockerd is not running and starting it needs root: run 'sudo $0'"
  say "starting dockerd in the background (log: $LOG_FILE)"
  nohup setsid dockerd >>"$LOG_FILE" 2>&1 </dev/null &
fi

for ((i = 0; i < WAIT_S; i++)); do
  if engine_answers; then
    say "Docker engine answers after ${i} s"
    exit 0
  fi
  sleep 1
done
fail "no Docker engine answers after ${WAIT_S} s: see the last lines of $LOG_FILE:
$(tail -n 20 "$LOG_FILE" 2>/dev/null || true)"
