#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) from the committed seeds, in a scratch corpus
# so the repository stays clean. Fails on the first crash. Needs nightly and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cargo +nightly fuzz build
for target in decode topic session; do
  mkdir -p "$scratch/$target"
  cp corpus/"$target"/seed-* "$scratch/$target/"
  echo "=== fuzz $target for ${seconds}s"
  cargo +nightly fuzz run "$target" "$scratch/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 2>&1 |
    grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|cov:|==[0-9]+==|SUMMARY|Done)" |
    tail -5
  status="${PIPESTATUS[0]}"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $target failed (status $status)" >&2
    exit "$status"
  fi
done
