#!/usr/bin/env bash
# Quick start 1: build Mesh and run the demo (two nodes on loopback, development CA).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/ensure-deps.sh
swift build -c release --product meshnode
exec .build/release/meshnode demo "$@"
