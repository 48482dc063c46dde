#!/usr/bin/env bash
# Processes that scripts/engines.sh and scripts/registries.sh start and stop: sourced by both. The caller defines
# log() and STOP_TIMEOUT.

# The pid in FILE if that process is alive and its command line contains MARK (so a reused pid is never hit).
live_pid() {
  local file=$1 mark=$2 pid
  [ -s "$file" ] || return 1
  pid=$(cat "$file")
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark" || return 1
  printf '%s\n' "$pid"
}

# Waits up to STOP_TIMEOUT s for PID to exit after SIGTERM, then kills it.
end_process() {
  local pid=$1 what=$2 deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$what (pid $pid) did not stop within $STOP_TIMEOUT s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      return 0
    fi
    sleep 0.25
  done
}
