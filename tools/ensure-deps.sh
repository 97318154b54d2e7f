#!/usr/bin/env bash
# Installs what Mesh needs beyond the Swift toolchain (libsodium's headers and pkg-config file; tmux for the
# meshprobe watch terminal test).
# Safe to run repeatedly: it does nothing when everything is present.
set -euo pipefail
missing=()
pkg-config --exists libsodium 2>/dev/null || missing+=(libsodium-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)  # meshprobe watch runs in a real terminal in the tests
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
