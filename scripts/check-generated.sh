#!/usr/bin/env bash
# Fails when the committed generated code differs from what scripts/generate.sh produces now.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
scripts/generate.sh "$out"
status=0
for dir in Sources/ORDPWire/Generated Sources/ORDPRPC/Generated Sources/ORDPEcho/Generated \
  Sources/ORDPPartitionAPI/Generated \
  Sources/ORDPIdentityAPI/Generated Sources/ORDPCatalogueAPI/Generated \
  Sources/ORDPAnalyticsAPI/Generated Sources/ORDPPlatformAPI/Generated Sources/ordp/Generated \
  Sources/CORDPClient/generated; do
  if ! diff -r "$out/$dir" "$dir" >/dev/null; then
    echo "generated code is stale in $dir: run scripts/generate.sh and commit" >&2
    diff -r "$out/$dir" "$dir" | head -20 >&2
    status=1
  fi
done
for header in $(cd "$out/Sources/CORDPClient/include" && find . -name '*.pb-c.h'); do
  if ! cmp -s "$out/Sources/CORDPClient/include/$header" "Sources/CORDPClient/include/$header"; then
    echo "generated header is stale: Sources/CORDPClient/include/$header" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "generated code is current"
exit $status
