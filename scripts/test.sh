#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, builds, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
swift build --build-tests
swift test --skip-build
# The frame fuzzer's replay mode: the seed corpus plus 20,000 pseudo-random inputs.
"$(swift build --show-bin-path)/ordp-fuzz-frames" Fuzz/corpus/frames
