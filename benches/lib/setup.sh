# Sourced by benches/soak.sh and benches/valgrind.sh, run from the repository's top directory.
#
#   secrules_workdir NAME
#
# Sets MODULE (the module built by docker/build-module.sh, in $CARGO_TARGET_DIR or target/), CRS
# (CRS v4.28.0 in ../shared/crs), PROJECT (this directory) and DIR (a new /tmp/secrules-NAME.*,
# kept, with conf, logs, tmp and backend/logs), and writes $DIR/conf/crs.conf: CRS at paranoia
# level 1 behind the benchmarks' engine settings, as benches/bench.py loads it.
secrules_workdir() {
    local target=${CARGO_TARGET_DIR:-target}
    MODULE=$(realpath "$target/release/ngx_http_secrules_module.so")
    CRS=$(realpath ../shared/crs/v4.28.0)
    PROJECT=$(pwd)
    DIR=$(mktemp -d "/tmp/secrules-$1.XXXXXX")
    mkdir -p "$DIR"/{conf,logs,tmp,backend/logs}
    echo "$1: working in $DIR"
    cat >"$DIR/conf/crs.conf" <<CONF
Include $PROJECT/benches/waf/engine.conf
SecUnicodeMapFile $CRS/../test-config/unicode.mapping 20127
Include $CRS/crs-setup.conf.example
Include $PROJECT/benches/waf/pl1.conf
Include $CRS/rules/*.conf
CONF
}
