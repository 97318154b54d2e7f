#!/usr/bin/env bash
# Quick start 2: run the whole test suite (unit, loopback, real-process tests).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/ensure-deps.sh
swift build --build-tests
# Serial: several suites start real processes and measure deadlines; on a 2-core machine running them
# all at once starves the cooperative thread pool and turns timing into noise (≈30 s serial in total).
swift test --skip-build --no-parallel "$@"
