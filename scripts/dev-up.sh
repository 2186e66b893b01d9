#!/usr/bin/env bash
# Runs the platform locally: installs missing Debian packages, builds, starts `ordp dev up`
# (every service its own process; TLS on 127.0.0.1:7443, development certificates in
# .ordp/dev/pki). Extra arguments go to `ordp dev up` (see `ordp dev up --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
# `ordp dev up` runs each service as its own process: the executables next to `ordp`.
for product in ordp ordp-identity ordp-catalogue ordp-analytics ordp-gateway ordp-health-check \
  ordp-example-integrator ordp-push-observations; do
  swift build --product "$product"
done
exec "$(swift build --show-bin-path)/ordp" dev up "$@"
