#!/usr/bin/env bash
# Long runs of issue 8 (items 6 and 7): not part of CI.
#
#   bash benches/soak.sh [--requests N] [--reloads N] [--connections N] [--workers N]
#
# 1. Soak: N mixed requests (benches/wrk/mix.lua: clean GETs, attacks, forms, JSON, uploads)
#    through nginx + secrules with CRS v4.28.0 at paranoia level 1, blocking, sent by wrk in
#    rounds of 20 s until nginx has handled N. After each round: requests handled (stub_status),
#    the worker's RSS and open file descriptors. At the end: answers per kind from the access
#    log (clean kinds must get 200, attacks 403; any 5xx is a failure) and wrk's socket errors.
# 2. Reloads: nginx -s reload N times, alternating two rule files (CRS + one of two extra rules),
#    each time waiting until the old worker is gone; the master's and the new worker's RSS after
#    each, and a check that the new rules are in force.
#
# Defaults: --requests 1000000 --reloads 100 --connections 8 --workers 1. Needs wrk, nginx, curl
# and the module built by docker/build-module.sh ($CARGO_TARGET_DIR or target/). Prints tables;
# writes everything under a temporary directory it names (kept).
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=1000000 RELOADS=100 CONNECTIONS=8 WORKERS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) REQUESTS=$2; shift 2 ;;
        --reloads) RELOADS=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --workers) WORKERS=$2; shift 2 ;;
        *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || { echo "soak: $tool missing (apt-get install $tool)"; exit 1; }
done
source benches/lib/setup.sh # secrules_workdir: MODULE, CRS, PROJECT, DIR and conf/crs.conf
WAF_PORT=${WAF_PORT:-18480} BACKEND_PORT=${BACKEND_PORT:-18481} STATUS_PORT=${STATUS_PORT:-18482}
secrules_workdir soak
# The two rule sets the reloads alternate between: CRS plus a marker rule answering 418 or 419.
for n in 418 419; do
    { cat "$DIR/conf/crs.conf"
      echo "SecRule REQUEST_HEADERS:X-Reload-Probe \"@streq 1\" \"id:10,phase:1,deny,status:$n,nolog\""
    } >"$DIR/conf/rules-$n.conf"
done
cp "$DIR/conf/rules-418.conf" "$DIR/conf/rules.conf"

cat >"$DIR/backend/nginx.conf" <<EOF
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 100000;
    server { listen 127.0.0.1:$BACKEND_PORT; location / { return 200 "ok\n"; } }
}
EOF
cat >"$DIR/conf/nginx.conf" <<EOF
load_module $MODULE;
worker_processes $WORKERS;
pid logs/nginx.pid;
error_log logs/error.log notice;
events { worker_connections 1024; }
http {
    log_format kind '\$uri \$status';
    access_log logs/access.log kind buffer=256k;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    client_max_body_size 20m;
    keepalive_requests 100000;
    upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 16; }
    server {
        listen 127.0.0.1:$WAF_PORT;
        secrules on;
        secrules_file rules.conf;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    server {
        listen 127.0.0.1:$STATUS_PORT;
        access_log off;
        location / { stub_status; }
    }
}
EOF

nginx -p "$DIR/backend" -c nginx.conf
nginx -p "$DIR" -c conf/nginx.conf
cleanup() {
    nginx -p "$DIR" -c conf/nginx.conf -s quit 2>/dev/null || true
    nginx -p "$DIR/backend" -c nginx.conf -s quit 2>/dev/null || true
}
trap cleanup EXIT
MASTER=$(cat "$DIR/logs/nginx.pid")
workers() { pgrep -P "$MASTER" | sort -n; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
handled() { curl -s "http://127.0.0.1:$STATUS_PORT/" | awk 'NR==3 {print $3}'; }
for _ in $(seq 100); do [ -n "$(workers)" ] && curl -s -o /dev/null "http://127.0.0.1:$WAF_PORT/" && break; sleep 0.1; done

# --- 1. soak -------------------------------------------------------------------------------
if [ "$REQUESTS" -gt 0 ]; then
    echo
    echo "## Soak: $REQUESTS mixed requests, CRS v4.28.0 PL1, $WORKERS worker(s), wrk -c$CONNECTIONS"
    echo
    echo "| round | elapsed s | requests handled | req/s | worker RSS MB | worker fds | wrk socket errors |"
    echo "|---:|---:|---:|---:|---|---|---:|"
    start=$(date +%s) round=0 errors_total=0 base=$(handled)
    while :; do
        done_so_far=$(( $(handled) - base ))
        [ "$done_so_far" -ge "$REQUESTS" ] && break
        round=$((round + 1))
        out=$(wrk -t2 -c"$CONNECTIONS" -d20s -s benches/wrk/mix.lua "http://127.0.0.1:$WAF_PORT" 2>&1)
        errs=$(echo "$out" | awk '/Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}')
        errors_total=$((errors_total + ${errs:-0}))
        now=$(date +%s) done_so_far=$(( $(handled) - base ))
        rsss="" fdss=""
        for w in $(workers); do rsss+="$(( $(rss "$w") / 1024 )) "; fdss+="$(fds "$w") "; done
        echo "| $round | $((now - start)) | $done_so_far | $((done_so_far / (now - start + 1))) | ${rsss% } | ${fdss% } | ${errs:-0} |"
    done
    sleep 2   # the access log buffer is flushed when nginx writes more or within seconds
    nginx -p "$DIR" -c conf/nginx.conf -s reopen 2>/dev/null
    sleep 1
    echo
    echo "Answers per kind (access log):"
    echo
    echo "| kind | status | count |"
    echo "|---|---:|---:|"
    awk '{split($1, p, "/"); if (p[2] != "") n[p[2] " " $2]++} END {for (k in n) {split(k, a, " "); printf "| %s | %s | %d |\n", a[1], a[2], n[k]}}' \
        "$DIR/logs/access.log" | sort
    fivexx=$(awk '$2 >= 500' "$DIR/logs/access.log" | wc -l)
    # 499: nginx's log status for a request whose client closed first (wrk ends each round with
    # requests in flight); nothing was answered, so it is counted apart.
    cut=$(awk '$2 == 499' "$DIR/logs/access.log" | wc -l)
    wrong=$(awk '$2 != 499 {split($1, p, "/"); k=p[2]; s=$2;
                  if (k ~ /^(clean|form|json|upload)$/ && s != 200) w++;
                  if (k ~ /^(sqli|xss|lfi|rce|jsonattack)$/ && s != 403) w++} END {print w + 0}' "$DIR/logs/access.log")
    crashes=$(grep -c -E "exited on signal|\[alert\]|\[crit\]" "$DIR/logs/error.log" || true)
    echo
    echo "soak: 5xx answers: $fivexx; unexpected answers: $wrong; cut off by wrk at the end of a round (499): $cut; wrk socket errors: $errors_total; crash/alert lines in the error log: $crashes"
fi

# --- 2. reloads ----------------------------------------------------------------------------
if [ "$RELOADS" -gt 0 ]; then
    echo
    echo "## $RELOADS reloads alternating two CRS v4 PL1 rule sets"
    echo
    echo "| reload | master RSS MB | worker RSS MB | new rules in force |"
    echo "|---:|---:|---:|---|"
    old=$(workers)
    echo "| 0 | $(( $(rss "$MASTER") / 1024 )) | $(( $(rss $old) / 1024 )) | - |"
    failed=0
    for i in $(seq "$RELOADS"); do
        n=$(( i % 2 == 0 ? 418 : 419 ))
        cp "$DIR/conf/rules-$n.conf" "$DIR/conf/rules.conf"
        nginx -p "$DIR" -c conf/nginx.conf -s reload 2>/dev/null
        # until the old workers have exited and a new one answers with the new rules
        for _ in $(seq 600); do
            now=$(workers)
            if [ -n "$now" ] && [ -z "$(comm -12 <(echo "$old") <(echo "$now"))" ]; then break; fi
            sleep 0.1
        done
        got=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Reload-Probe: 1' "http://127.0.0.1:$WAF_PORT/")
        [ "$got" = "$n" ] || failed=$((failed + 1))
        old=$(workers)
        case $i in 1|2|3|5|10|20|30|40|50|60|70|80|90|100|$RELOADS)
            echo "| $i | $(( $(rss "$MASTER") / 1024 )) | $(( $(rss $old) / 1024 )) | $got (expected $n) |" ;;
        esac
    done
    echo
    echo "reloads: $RELOADS, rules not in force afterwards: $failed"
fi
