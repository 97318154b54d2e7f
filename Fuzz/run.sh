#!/usr/bin/env bash
# Builds the MeshWire libFuzzer target and runs it for a bounded time.
#   Fuzz/run.sh [seconds]   (default 30)
# Seeds the corpus from proto-spec/vectors/*.txt. Exits non-zero if the fuzzer finds a crash,
# leak, timeout or broken invariant; the input is saved as Fuzz/crash-* (or leak-*, timeout-*).
set -euo pipefail

seconds="${1:-30}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

swift build -c debug -Xswiftc -sanitize=fuzzer,address --product MeshFuzzFrames
binary="$(swift build -c debug -Xswiftc -sanitize=fuzzer,address --show-bin-path)/MeshFuzzFrames"

corpus="$here/corpus"
seeds="$corpus/seeds"
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds"
for file in "$here"/../proto-spec/vectors/*.txt; do
    base="$(basename "$file" .txt)"
    grep -v '^#' "$file" | grep ':' | while IFS= read -r line; do
        name="${line%%:*}"
        hex="$(echo "${line#*:}" | tr -d ' ')"
        printf '%s' "$hex" | xxd -r -p > "$seeds/$base-$name"
    done
done

# New inputs go to corpus/ (kept between runs, ignored by git); libFuzzer also reads corpus/seeds/.
exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$here/" "$corpus"
