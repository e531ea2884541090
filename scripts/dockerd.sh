#!/usr/bin/env bash
# Starts or stops the Docker engine the e2e tests talk to (at /var/run/docker.sock).
#   scripts/dockerd.sh start   reuse an engine already answering there, else start our own
#   scripts/dockerd.sh stop    stop the engine only if this script started it (pidfile)
#   scripts/dockerd.sh status  exit 0 when an engine answers
# Our engine keeps its state apart from any system one (data-root, exec-root, pidfile), so
# starting and stopping it never touches images or containers of another engine.
# "Started it" means any earlier `start` of this script with the same pidfile: a caller that
# must stop only what it started itself checks `status` first (see test/global-setup.ts).
#
# STRATA_DOCKERD_STATE=DIR makes it a private engine instead, for a test that must start and
# stop one while the shared engine serves others: socket DIR/docker.sock (give the client
# DOCKER_HOST=unix://DIR/docker.sock), data-root, exec-root, pidfile and log in DIR, and a
# bridge of its own (STRATA_DOCKERD_BRIDGE, default strata-dk0, address
# STRATA_DOCKERD_BRIDGE_CIDR, default 10.213.47.1/24) that start creates and stop removes.
# It writes no iptables rules and no sysctl (--iptables=false --ip-masq=false
# --ip-forward=false): a second engine with the default bridge settings would rewrite the
# NAT rules of the first, and one with --bridge=none deletes docker0. Published ports still
# work on the host through docker-proxy.
set -euo pipefail

STATE=${STRATA_DOCKERD_STATE:-}
if [[ -n "$STATE" ]]; then
  SOCK=$STATE/docker.sock
  DATA_ROOT=$STATE/data
  EXEC_ROOT=$STATE/exec
  PIDFILE=$STATE/dockerd.pid
  LOG=$STATE/dockerd.log
  BRIDGE=${STRATA_DOCKERD_BRIDGE:-strata-dk0}
  BRIDGE_CIDR=${STRATA_DOCKERD_BRIDGE_CIDR:-10.213.47.1/24}
  PRIVATE_FLAGS=(--bridge "$BRIDGE" --iptables=false --ip-masq=false --ip-forward=false)
else
  SOCK=/var/run/docker.sock
  DATA_ROOT=/var/lib/strata-test/docker
  EXEC_ROOT=/var/run/strata-test-docker
  PIDFILE=/var/run/strata-test-dockerd.pid
  LOG=/var/log/strata-test-dockerd.log
  PRIVATE_FLAGS=()
fi
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
    if [[ -n "$STATE" ]] && ! ip link show "$BRIDGE" >/dev/null 2>&1; then
      ip link add name "$BRIDGE" type bridge
      ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
      ip link set "$BRIDGE" up
      touch "$STATE/bridge-created"
    fi
    nohup dockerd --data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
      -H "unix://$SOCK" ${PRIVATE_FLAGS[@]+"${PRIVATE_FLAGS[@]}"} >>"$LOG" 2>&1 </dev/null &
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

# The private engine's bridge, if start created it (after the engine is gone).
remove_bridge() {
  if [[ -n "$STATE" && -f "$STATE/bridge-created" ]]; then
    ip link delete "$BRIDGE" 2>/dev/null || true
    rm -f "$STATE/bridge-created"
    echo "dockerd: removed bridge $BRIDGE"
  fi
}

stop() {
  if ! ours_running; then
    echo "dockerd: no engine started by this script"
    remove_bridge
    return 0
  fi
  local pid
  pid="$(cat "$PIDFILE")"
  kill "$pid"
  for ((i = 0; i < 120; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "dockerd: stopped pid $pid"
      remove_bridge
      return 0
    fi
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
