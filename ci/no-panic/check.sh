#!/usr/bin/env bash
# Link-time proof that picomqtt's decoder and topic code cannot panic (see src/main.rs):
#   1. the program must link: no panic path survived optimisation;
#   2. with one deliberate panic added, it must NOT link, with the undefined-symbol error,
#      which shows that the check can fail.
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
echo "no-panic: decoder and topic code link without any panic path"
if out=$(cargo build --release --quiet --features prove-it-fails 2>&1); then
  echo "no-panic: the deliberate panic linked: the check is broken" >&2
  exit 1
fi
if ! grep -q "undefined symbol: picomqtt_has_a_reachable_panic" <<<"$out"; then
  echo "no-panic: the deliberate-panic build failed for another reason:" >&2
  echo "$out" >&2
  exit 1
fi
echo "no-panic: a deliberate panic is caught (link fails as it must)"
