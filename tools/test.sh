#!/usr/bin/env bash
# Quick start 2: run the whole test suite (unit, loopback, real-process tests).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/ensure-deps.sh
swift build --build-tests
swift test --skip-build "$@"
