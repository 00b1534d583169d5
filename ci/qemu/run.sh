#!/usr/bin/env bash
# Builds the scripted-broker tests for thumbv6m-none-eabi and runs them on QEMU's Cortex-M0.
# The exit status is the tests' (semihosting exit), so a failure fails this script.
set -euo pipefail
cd "$(dirname "$0")"
cargo run --quiet
