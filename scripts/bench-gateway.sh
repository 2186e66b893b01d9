#!/usr/bin/env bash
# The gateway's benchmark (docs/GATEWAY.md): builds the services, the gateway and the benchmark
# in release, installs HAProxy (Debian's) when missing, and runs ordp-bench-gateway with the
# arguments given (e.g. --seconds 5 --rounds 5).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq haproxy >/dev/null
fi
for product in ordp-identity ordp-catalogue ordp-analytics ordp-gateway ordp-bench-gateway; do
  swift build -c release --product "$product"
done
"$(swift build -c release --show-bin-path)/ordp-bench-gateway" "$@"
