#!/usr/bin/env bash
# Instructions per hit (and per miss) of memokit, `cached` 4.1, `OnceLock`
# and an immutable map, each called through a non-inlined function pointer,
# counted with callgrind (exact and repeatable on a shared machine).
#
#   scripts/instructions.sh            # every subject
#   scripts/instructions.sh memokit-keyed cached-keyed
#
# Each subject runs twice (CALLS and 2 x CALLS calls); the difference over
# CALLS is per call, start-up and warm-up cancelled. "net" subtracts the
# baseline subject (the cached function's body through the same pointer:
# the loop, the call and the work), so it is what the cache adds.
#
# A TTL hit's count depends on whether the clock thread's coarse time is
# vouched for (see cached-core/src/time/clock.rs), which under callgrind's
# slowdown comes and goes with the machine's load; to compare TTL subjects
# with each other exactly, run with INSTRUCTIONS_MANUAL_CLOCK=1 (every TTL
# hit then reads an injected clock).
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-100000}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 1; }
# memokit as a default build has it; TIERS=1 builds it with its tiers (for
# the memokit-keyed-disk subject).
features=(--no-default-features)
[ "${TIERS:-0}" = 1 ] && features=()
cargo build --release --quiet --manifest-path compare/Cargo.toml --bin instructions "${features[@]}"
bin=compare/target/release/instructions

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() { # subject calls [miss] -> instructions of the calling thread only
  # (a TTL cache's clock thread ticks meanwhile; its work is not the hit's)
  rm -f "$tmp"/cg.*
  valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$tmp/cg.%p" \
    "$bin" "$@" >/dev/null 2>&1
  sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp"/cg.*-01
}
per_call() { # subject [miss]
  local a b
  a=$(count "$1" "$CALLS" ${2:-})
  b=$(count "$1" $((2 * CALLS)) ${2:-})
  echo $(((b - a) / CALLS))
}

subjects=("$@")
if [ ${#subjects[@]} -eq 0 ]; then
  subjects=(memokit-keyed cached-keyed immutable-map memokit-no-arg cached-no-arg oncelock
            memokit-ttl memokit-refresh cached-ttl memokit-bounded cached-bounded memokit-str cached-str)
fi
base=$(per_call baseline)
str_base=$(per_call str-baseline)
printf '%-16s %8s %8s\n' subject per-hit net
for s in "${subjects[@]}"; do
  n=$(per_call "$s")
  case $s in *-str) b=$str_base ;; *) b=$base ;; esac
  printf '%-16s %8d %8d\n' "$s" "$n" $((n - b))
done
for s in memokit-keyed cached-keyed; do
  n=$(per_call "$s" miss)
  printf '%-16s %8d %8d  (miss, fresh keys)\n' "$s" "$n" $((n - base))
done
