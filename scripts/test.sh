#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
swift build --build-tests
# One test target at a time: the runtime's tests use short timeouts (keepalive, idle, drain)
# and should not compete for the 2 cores with the identity tests' server processes.
for target in ORDPWireTests ORDPServiceKitTests ORDPRPCTests ORDPGatewayTests ORDPIdentityTests ORDPCatalogueTests ORDPAnalyticsTests; do
  swift test --skip-build --filter "^$target\."
done
# The frame fuzzer's replay mode: the seed corpus plus 20,000 pseudo-random inputs.
"$(swift build --show-bin-path)/ordp-fuzz-frames" Fuzz/corpus/frames
# The API fuzzer: its corpus as every kind of caller, then 2,000 generated inputs (fixed seed).
"$(swift build --show-bin-path)/ordp-fuzz-api" --corpus Fuzz/corpus/api --generated 2000
