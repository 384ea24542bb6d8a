#!/usr/bin/env bash
# Instructions per transaction for secrules and zentinel-modsec, counted by callgrind: the same
# requests and rules as `cargo bench` here, but figures that do not move with the load of the
# machine. Runs the benchmark binary's PEER_BENCH_PROFILE mode (see peer.rs) once per engine
# and paranoia level; callgrind writes one dump per call of run_transactions, one per traffic
# type in the order below. Needs valgrind; about 5 minutes on one core.
#
#   bash benches/peer/instructions.sh [COUNT]    # COUNT transactions of each type (default 2)
set -euo pipefail
cd "$(dirname "$0")"
count=${1:-2}
traffic=(get-clean get-sqli post-form post-json post-multipart)
bin=$(cargo bench --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for engine in secrules zentinel-modsec; do
    for level in 1 4; do
        PEER_BENCH_PROFILE="$engine/pl$level:$count" valgrind --tool=callgrind -q \
            --toggle-collect='*run_transactions*' --dump-after='peer::run_transactions' \
            --callgrind-out-file="$out/$engine.$level" "$bin" --bench 2>/dev/null
    done
done
# Dump N of a run is the Nth traffic type; "totals:" is what it counted.
per_tx() {
    awk -v n="$count" '/^totals:/ { printf "%.0f", $2 / n }' "$out/$1.$2.$3"
}
echo "| traffic | PL | secrules | zentinel-modsec | zentinel-modsec / secrules |"
echo "|---|---:|---:|---:|---:|"
for level in 1 4; do
    for i in "${!traffic[@]}"; do
        ours=$(per_tx secrules "$level" $((i + 1)))
        theirs=$(per_tx zentinel-modsec "$level" $((i + 1)))
        awk -v t="${traffic[$i]}" -v l="$level" -v a="$ours" -v b="$theirs" \
            'BEGIN { printf "| %s | %d | %.2f M | %.2f M | %.2f |\n", t, l, a / 1e6, b / 1e6, b / a }'
    done
done
