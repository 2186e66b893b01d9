#!/usr/bin/env bash
# Generates the Python modules of ORDP's protos (protoc from Debian's protobuf-compiler)
# into the folder given (default: examples/python/gen). Use with PYTHONPATH=<that folder>:.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-examples/python/gen}"
mkdir -p "$out"
protoc -I Protos --python_out="$out" \
  ordp/rpc/v1/wire.proto ordp/partition/v1/partition.proto ordp/identity/v1/identity.proto \
  ordp/catalogue/v1/catalogue.proto ordp/analytics/v1/analytics.proto
