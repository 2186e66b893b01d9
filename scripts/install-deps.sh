#!/usr/bin/env bash
# Installs what building and testing ORDP needs on Debian: protoc, protoc-c, libprotobuf-c,
# OpenSSL and SQLite headers; and a Python environment in .build/python with the independent
# references the tests and benchmarks compare against (rdflib, DuckDB from PyPI). Swift itself
# is expected at /opt/swift (or on PATH).
set -euo pipefail
packages=(protobuf-compiler protobuf-c-compiler libprotobuf-c-dev libssl-dev libsqlite3-dev)
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  packages+=(python3 python3-venv)
fi
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

# Python references: rdflib parses the catalogue's RDF export in the tests; DuckDB is the
# analytics benchmark's yardstick.
python_env="$(cd "$(dirname "$0")/.." && pwd)/.build/python"
# protobuf (the runtime of Debian's protoc 3.21) runs the Python client example in the tests;
# PyYAML reads the Kubernetes manifests the deployment test checks; pySHACL checks the export
# against GovData's DCAT-AP.de shapes.
if ! "$python_env/bin/python" -c "import rdflib, duckdb, google.protobuf, yaml, pyshacl" \
  2>/dev/null; then
  echo "installing rdflib, duckdb, protobuf, PyYAML and pySHACL into $python_env"
  python3 -m venv "$python_env"
  "$python_env/bin/pip" install --quiet --disable-pip-version-check "rdflib>=7,<8" "duckdb>=1,<3" \
    "protobuf>=4.21,<5" "pyyaml>=6,<7" "pyshacl>=0.26,<0.31"
fi
