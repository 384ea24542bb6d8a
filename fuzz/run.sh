#!/usr/bin/env bash
# Builds the fuzz targets (cargo-fuzz, libFuzzer, AddressSanitizer) and runs each for a bounded
# time; fails on the first crash, leak, timeout or out-of-memory. Every input ever committed under
# fuzz/regressions/<target>/ is replayed first.
#
#   bash fuzz/run.sh                          # every target, FUZZ_SECONDS (default 20) each
#   FUZZ_SECONDS=600 bash fuzz/run.sh body_json transaction_crs
#
# Only a stable toolchain is needed: RUSTC_BOOTSTRAP=1 lets stable rustc take the -Z flags
# cargo-fuzz passes (sanitizer, coverage). cargo-fuzz is installed with cargo if missing
# (about 2 minutes). Corpora grow in $FUZZ_CORPUS_DIR (default <target dir>/fuzz-corpus), seeded
# from fuzz/seeds/<target>/ and, for the parser, every CRS v4 rule split one directive a file.
# A summary (executions, seconds, coverage) per target is appended to $FUZZ_REPORT.
set -euo pipefail
cd "$(dirname "$0")"
FUZZ_DIR=$PWD
SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
# address (AddressSanitizer + LeakSanitizer) by default; FUZZ_SANITIZER=none runs about twice as
# fast and needs no sanitizer runtime in the toolchain.
SANITIZER=${FUZZ_SANITIZER:-address}
ALL_TARGETS="seclang_parser transformations body_urlencoded body_json body_multipart body_xml transaction_crs"
TARGETS=${*:-$ALL_TARGETS}
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FUZZ_DIR/../target}/fuzz
CORPUS_ROOT=${FUZZ_CORPUS_DIR:-$CARGO_TARGET_DIR/../fuzz-corpus}
REPORT=${FUZZ_REPORT:-$CORPUS_ROOT/report.txt}
CRS=${CRS_DIR:-$FUZZ_DIR/../../shared/crs/v4.28.0}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install --locked cargo-fuzz --version 0.13.2
fi

echo "== building fuzz targets"
cargo fuzz build -O -s "$SANITIZER"   # all targets: one cargo invocation shares the library build

mkdir -p "$CORPUS_ROOT"
# The parser's seeds: each CRS rule file cut into single directives (continuation lines joined
# as SecLang writes them), without the directives the target skips anyway.
if [ -d "$CRS/rules" ] && [ ! -d "$CORPUS_ROOT/seclang_parser" ]; then
    mkdir -p "$CORPUS_ROOT/seclang_parser"
    python3 - "$CRS/rules" "$CORPUS_ROOT/seclang_parser" <<'PY'
import pathlib, sys
out = pathlib.Path(sys.argv[2]); n = 0
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.conf")):
    block = []
    for line in f.read_text(errors="replace").splitlines():
        if line.startswith("#") and not block:
            continue
        block.append(line)
        if not line.rstrip().endswith("\\"):
            text = "\n".join(block).strip(); block = []
            low = text.lower()
            if text and not any(w in low for w in ("include", "file", "pmf", "ipmatchf")):
                (out / f"crs{n:05}").write_text(text + "\n"); n += 1
print(f"seclang_parser: {n} CRS directives as seeds")
PY
fi

status=0
for target in $TARGETS; do
    corpus="$CORPUS_ROOT/$target"
    mkdir -p "$corpus"
    dirs=("$corpus" "seeds/$target")
    if [ -d "regressions/$target" ]; then
        echo "== $target: replaying regressions/$target"
        cargo fuzz run -O -s "$SANITIZER" "$target" "regressions/$target"/* -- -timeout=10
    fi
    echo "== $target: fuzzing for ${SECONDS_PER_TARGET}s"
    log="$CORPUS_ROOT/$target.log"
    started=$SECONDS
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a process above 2 GB is a
    # memory blow-up (CRS alone takes about 200 MB); -max_len: large enough for multipart
    # bodies and whole requests.
    if ! nice cargo fuzz run -O -s "$SANITIZER" "$target" "${dirs[@]}" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 >"$log" 2>&1; then
        echo "!! $target found a problem; the input is under fuzz/artifacts/$target/:"
        grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -20
        status=1
    fi
    runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
    cov=$(grep -oE "cov: [0-9]+" "$log" | tail -1 || true)
    line="$(date -u +%FT%TZ) $target: $runs executions in $((SECONDS - started))s, $cov, corpus $(ls "$corpus" | wc -l) files"
    echo "$line"
    echo "$line" >>"$REPORT"
done
exit $status
