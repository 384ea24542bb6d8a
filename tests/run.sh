#!/usr/bin/env bash
# The test command: builds the module against Debian's nginx 1.22.1 and runs every test, the ones
# that start the real nginx included. Installs missing Debian packages first (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
# libmodsecurity (with its dev files and g++) and modsecurity-crs are the oracles some tests
# compare against; libpcre2-dev is the PCRE2 the few backtracking regexes run on.
for pkg in nginx nginx-dev libclang-dev curl openssl g++ pkg-config libpcre2-dev libmodsecurity3 libmodsecurity-dev modsecurity-crs; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash docker/build-module.sh
# The engine and its tests need no nginx (no-default-features); the nginx tests load the module
# built above.
cargo test --release --no-default-features "$@"
