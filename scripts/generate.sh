#!/usr/bin/env bash
# Regenerates all generated code from Protos/: Swift messages (protoc-gen-swift), ORDP service
# stubs (our protoc-gen-ordp) and C (protoc-c). Usage: scripts/generate.sh [OUTPUT_ROOT]
# With OUTPUT_ROOT the files are written under it instead of the repository (CI uses that to
# check that the committed files are current).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-.}"
scratch="${ORDP_CODEGEN_SCRATCH:-.build}"

swift build --scratch-path "$scratch" --product protoc-gen-swift >/dev/null
swift build --scratch-path "$scratch" --product protoc-gen-ordp >/dev/null
bin="$(swift build --scratch-path "$scratch" --show-bin-path)"

gen_swift() { # proto-file output-dir [ordp-options]
  local proto="$1" out="$root/$2" ordp_opts="${3:-}"
  mkdir -p "$out"
  protoc -I Protos --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --swift_out="$out" \
    --swift_opt=Visibility=Public,UseAccessLevelOnImports=true,ProtoPathModuleMappings=Protos/module-mappings.asciipb \
    "$proto"
  if grep -q '^service ' "Protos/$proto"; then
    protoc -I Protos --plugin=protoc-gen-ordp="$bin/protoc-gen-ordp" \
      --ordp_out="$out" --ordp_opt="Visibility=Public${ordp_opts:+,$ordp_opts}" "$proto"
  fi
}

gen_swift ordp/rpc/v1/wire.proto Sources/ORDPWire/Generated
gen_swift grpc/health/v1/health.proto Sources/ORDPRPC/Generated ImportRuntime=false
gen_swift ordp/echo/v1/echo.proto Sources/ORDPEcho/Generated
gen_swift ordp/partition/v1/partition.proto Sources/ORDPPartitionAPI/Generated
gen_swift ordp/identity/v1/identity.proto Sources/ORDPIdentityAPI/Generated
gen_swift ordp/catalogue/v1/catalogue.proto Sources/ORDPCatalogueAPI/Generated
gen_swift ordp/analytics/v1/analytics.proto Sources/ORDPAnalyticsAPI/Generated
gen_swift ordp/platform/v1/platform.proto Sources/ORDPPlatformAPI/Generated

# C (protoc-c): headers go to the C client's public include/ (integrators and the Swift tests
# that drive the C library need the message types), sources to generated/.
c_tmp="$(mktemp -d)"
trap 'rm -rf "$c_tmp"' EXIT
protoc -I Protos --c_out="$c_tmp" \
  ordp/rpc/v1/wire.proto grpc/health/v1/health.proto ordp/echo/v1/echo.proto \
  ordp/partition/v1/partition.proto ordp/identity/v1/identity.proto ordp/catalogue/v1/catalogue.proto \
  ordp/analytics/v1/analytics.proto ordp/platform/v1/platform.proto
(cd "$c_tmp" && find . -name '*.pb-c.h') | while read -r f; do
  mkdir -p "$(dirname "$root/Sources/CORDPClient/include/$f")"
  cp "$c_tmp/$f" "$root/Sources/CORDPClient/include/$f"
done
(cd "$c_tmp" && find . -name '*.pb-c.c') | while read -r f; do
  mkdir -p "$(dirname "$root/Sources/CORDPClient/generated/$f")"
  cp "$c_tmp/$f" "$root/Sources/CORDPClient/generated/$f"
done
