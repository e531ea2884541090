#!/usr/bin/env bash
# Starts or stops the Docker engine the e2e tests talk to (at /var/run/docker.sock).
#   scripts/dockerd.sh start   reuse an engine already answering there, else start our own
#   scripts/dockerd.sh stop    stop the engine only if this script started it (pidfile)
#   scripts/dockerd.sh status  exit 0 when an engine answers
# Our engine keeps its state apart from any system one (data-root, exec-root, pidfile), so
# starting and stopping it never touches images or containers of another engine.
set -euo pipefail

SOCK=/var/run/docker.sock
DATA_ROOT=/var/lib/strata-test/docker
EXEC_ROOT=/var/run/strata-test-docker
PIDFILE=/var/run/strata-test-dockerd.pid
LOG=/var/log/strata-test-dockerd.log
DOCKER=/usr/bin/docker
WAIT_SECONDS=${STRATA_DOCKERD_WAIT:-60}

answering() {
  # `docker version` asks the server too; it fails while the socket is absent or not ready.
  "$DOCKER" -H "unix://$SOCK" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

ours_running() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start() {
  if answering; then
    echo "dockerd: reusing the engine at $SOCK"
    return 0
  fi
  if ! command -v dockerd >/dev/null; then
    echo "dockerd: dockerd is not installed (run scripts/setup.sh)" >&2
    return 1
  fi
  if ! ours_running; then
    mkdir -p "$DATA_ROOT" "$EXEC_ROOT" "$(dirname "$LOG")"
    # A stale socket from a crashed engine would make dockerd refuse to listen.
    [[ -S "$SOCK" ]] && rm -f "$SOCK"
    nohup dockerd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
      -H "unix://$SOCK" >>"$LOG" 2>&1 </dev/null &
    echo "dockerd: started pid $! (log $LOG)"
  fi
  for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
    if answering; then
      echo "dockerd: answering at $SOCK"
      return 0
    fi
    sleep 0.25
  done
  echo "dockerd: no answer at $SOCK after ${WAIT_SECONDS}s; last log lines:" >&2
  tail -n 20 "$LOG" >&2 || true
  return 1
}

stop() {
  if ! ours_running; then
    echo "dockerd: no engine started by this script"
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill "$pid"
  for ((i = 0; i < 120; i++)); do
    kill -0 "$pid" 2>/dev/null || { echo "dockerd: stopped pid $pid"; return 0; }
    sleep 0.25
  done
  echo "dockerd: pid $pid did not stop within 30s" >&2
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) answering ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
