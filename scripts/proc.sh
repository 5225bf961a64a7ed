# shellcheck shell=bash
# Process helpers sourced by scale.sh (make run uses scripts/supervise.py): start in the background, wait for
# health, and stop everything on Ctrl-C or exit.

pids=()
on_exit_extra=""
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$on_exit_extra" ]; then eval "$on_exit_extra"; fi
  echo "Stopped."
}
trap cleanup INT TERM EXIT

wait_for() {  # wait_for NAME URL PID SECONDS
  local deadline=$((SECONDS + $4))
  until curl -sf -o /dev/null "$2"; do
    if ! kill -0 "$3" 2>/dev/null; then echo "$1 exited during start-up; see the log above." >&2; exit 1; fi
    if [ $SECONDS -ge $deadline ]; then echo "$1 not healthy at $2 after $4 s." >&2; exit 1; fi
    sleep 1
  done
}
