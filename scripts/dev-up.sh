#!/usr/bin/env bash
# Runs the platform locally: installs missing Debian packages, builds in release (the
# services as operators run them) everything the README uses, starts `ordp dev up` (every
# service its own process; TLS on 127.0.0.1:7443, development certificates in .ordp/dev/pki).
# Extra arguments go to `ordp dev up` (see `ordp dev up --help`). The first release build
# takes a while on two cores; later ones only rebuild what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
# `ordp dev up` runs each service as its own process: the executables next to `ordp`.
for product in ordp ordp-identity ordp-catalogue ordp-analytics ordp-gateway ordp-health-check \
  ordp-example-integrator ordp-push-observations; do
  swift build -c release --product "$product"
done
exec "$(swift build -c release --show-bin-path)/ordp" dev up "$@"
