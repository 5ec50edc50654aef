#!/usr/bin/env bash
# Regenerate docs/dashboard.svg from a real run: the dashboard in tmux, mid-backfill, captured
# with its colours and converted by ansi-to-svg.mjs. Needs tmux and a built dist/ (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
session="zdm-picture-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true' EXIT
# CI unset: with CI in the environment, colour support is switched off.
tmux new-session -d -s "$session" -x 100 -y 30 "env -u CI node dist/cli.js; sleep 60"

wait_for() {
	for _ in $(seq 1 600); do
		tmux capture-pane -t "$session" -p | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $1" >&2
	exit 1
}

wait_for '\[PENDING\]'
# Expand: the column, its sync trigger, the version schema.
tmux send-keys -t "$session" Space Space Space
wait_for '✔ 3\.'
tmux send-keys -t "$session" Space
# Caught in the middle of the backfill: pause (p) once a quarter or more of the rows are done
# (v1 inserts a few rows before the backfill counts them).
wait_for ' (1[0-9]{2}|2[0-9]{2}),[0-9]{3}/400,0[0-9]{2} rows'
tmux send-keys -t "$session" p
wait_for 'PAUSED'
sleep 0.5
tmux capture-pane -t "$session" -p -e | node scripts/ansi-to-svg.mjs > docs/dashboard.svg
tmux send-keys -t "$session" q
echo "wrote docs/dashboard.svg"
