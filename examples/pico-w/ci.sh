#!/usr/bin/env bash
# CI for the Pico W firmware: format, lint and build both binaries in release for
# thumbv6m-none-eabi, then print their flash and RAM use (the table in README.md).
set -euo pipefail
cd "$(dirname "$0")"
cargo fmt --check
cargo clippy --release --locked -- -D warnings
cargo build --release --locked
size="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/llvm-size"
for bin in nightlight call_button; do
  elf="target/thumbv6m-none-eabi/release/$bin"
  # Berkeley format: text data bss; flash = text + data, RAM = data + bss.
  read -r text data bss _ < <("$size" -B "$elf" | tail -n 1)
  echo "pico-w: $bin flash $((text + data)) B, RAM $((data + bss)) B"
done
