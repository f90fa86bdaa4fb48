#!/usr/bin/env bash
# A working call at once: two headless participants (the moving test pattern
# and a tone with clicks) start a call on this machine, then the app opens
# and joins them. Close the window to end the demo; the participants leave
# with it.
#
#   scripts/demo.sh [path/to/camchat] [extra app flags...]
set -euo pipefail
bin=${1:-bin/camchat}
shift || true
[ -x "$bin" ] || { echo "demo: $bin not found: run make build first" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The first participant hosts; its second output line is its invite.
"$bin" headless -name "Test pattern 1" -listen 127.0.0.1:0 >"$work/one.out" 2>"$work/one.err" &
pids+=($!)
invite=
for _ in $(seq 100); do
  invite=$(sed -n 's/^invite: //p' "$work/one.out")
  [ -n "$invite" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/one.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$invite" ] || { echo "demo: the first participant printed no invite" >&2; cat "$work/one.err" >&2; exit 1; }

"$bin" headless -name "Test pattern 2" -listen 127.0.0.1:0 -join "$invite" >"$work/two.out" 2>"$work/two.err" &
pids+=($!)

echo "demo: two participants are in a call; the app joins them with"
echo "  $invite"
"$bin" -join "$invite" "$@"
