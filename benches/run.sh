#!/usr/bin/env bash
# The load, memory and hostile-input benchmark: nginx alone vs. + secrules vs. + ModSecurity v3,
# with OWASP CRS v4.28.0 (blocking, paranoia levels 1 and 4). See the README, "Benchmarks".
#
#   bash benches/run.sh            # full: 3 rounds (about 20-25 minutes)
#   bash benches/run.sh --quick    # 1 round, short runs (a few minutes), for development
#   bash benches/run.sh --help     # every option of benches/bench.py
#
# On a fresh Debian 12 machine (as root) it installs what it needs with apt-get, builds the
# module with docker/build-module.sh (Rust >= 1.85 must be installed: cargo), and writes
# benches/results.md, benches/results.svg and benches/results.json.
# Environment: SECRULES_MODULE=path (skip the build and use that module), CRS_DIR=path to CRS
# v4.28.0 (default ../shared/crs/v4.28.0 beside the repository; downloaded to
# target/crs/coreruleset-4.28.0 if absent), BENCH_NOTE="..." (a sentence put in the report).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

packages=(nginx nginx-dev libnginx-mod-http-modsecurity libmodsecurity3 wrk python3 util-linux
          libclang-dev gcc curl ca-certificates)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "bench: missing packages: ${missing[*]} (run as root, or install them)" >&2
        exit 1
    fi
    echo "bench: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [ -z "${SECRULES_MODULE:-}" ]; then
    command -v cargo >/dev/null || { echo "bench: cargo (Rust >= 1.85) is needed to build the module" >&2; exit 1; }
    bash docker/build-module.sh
    SECRULES_MODULE=${CARGO_TARGET_DIR:-$root/target}/release/ngx_http_secrules_module.so
fi
export SECRULES_MODULE

if [ -z "${CRS_DIR:-}" ]; then
    CRS_DIR=$root/../shared/crs/v4.28.0
    if [ ! -f "$CRS_DIR/rules/REQUEST-901-INITIALIZATION.conf" ]; then
        CRS_DIR=$root/target/crs/coreruleset-4.28.0
        if [ ! -f "$CRS_DIR/rules/REQUEST-901-INITIALIZATION.conf" ]; then
            echo "bench: downloading CRS v4.28.0 to $CRS_DIR"
            mkdir -p "$root/target/crs"
            curl -fsSL https://github.com/coreruleset/coreruleset/archive/refs/tags/v4.28.0.tar.gz |
                tar -xz -C "$root/target/crs"
        fi
    fi
fi
export CRS_DIR

exec python3 benches/bench.py "$@"
