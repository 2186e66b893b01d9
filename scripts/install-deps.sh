#!/usr/bin/env bash
# Installs what building and testing ORDP needs on Debian: protoc, protoc-c, libprotobuf-c,
# OpenSSL and SQLite headers. Swift itself is expected at /opt/swift (or on PATH).
set -euo pipefail
packages=(protobuf-compiler protobuf-c-compiler libprotobuf-c-dev libssl-dev libsqlite3-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  if [ -x /opt/swift/usr/bin/swift ]; then
    echo "note: add /opt/swift/usr/bin to PATH" >&2
  else
    echo "error: Swift 6.3 is needed (https://www.swift.org/install/)" >&2
    exit 1
  fi
fi
