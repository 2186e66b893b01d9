#!/usr/bin/env bash
# The hostile-load benchmark (docs/HOSTILE.md): builds the services and the benchmark in release
# (product by product, as scripts/dev-up.sh does, so that nothing built there is built again)
# and runs ordp-bench-hostile with the arguments given (e.g. --attacks aggregates,frames).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
for product in ordp-identity ordp-catalogue ordp-analytics ordp-bench-hostile; do
  swift build -c release --product "$product"
done
"$(swift build -c release --show-bin-path)/ordp-bench-hostile" "$@"
