#!/usr/bin/env bash
# nginx + secrules under valgrind (issue 8, item 7): not part of CI.
#
#   bash benches/valgrind.sh [ROUNDS]      # default 30 rounds of the 10 requests below
#
# One nginx process (master_process off, daemon off) with the module and CRS v4.28.0 at
# paranoia level 1 runs under valgrind's memcheck in front of a plain nginx backend. Each round
# sends a clean GET, three attacks, a form, a JSON body, a JSON attack, a multipart upload, a
# malformed multipart body and a body over the limit. Then nginx is stopped (SIGQUIT: a graceful
# exit that frees the configuration) and the script prints valgrind's error and leak summary and
# every error or definite/indirect leak whose stack goes through the module. Loading CRS under
# valgrind takes a minute or more. Needs valgrind, nginx, curl and the module built by
# docker/build-module.sh ($CARGO_TARGET_DIR or target/).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-30}
command -v valgrind >/dev/null || { echo "valgrind missing (apt-get install valgrind)"; exit 1; }
source benches/lib/setup.sh # secrules_workdir: MODULE, CRS, PROJECT, DIR and conf/crs.conf
PORT=${PORT:-18680} BACKEND_PORT=${BACKEND_PORT:-18681}
secrules_workdir valgrind
cat >"$DIR/backend/nginx.conf" <<EOF
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 256; }
http { access_log off; server { listen 127.0.0.1:$BACKEND_PORT; location / { return 200 "ok\n"; } } }
EOF
cat >"$DIR/conf/nginx.conf" <<EOF
load_module $MODULE;
master_process off;
daemon off;
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log notice;
events { worker_connections 256; }
http {
    access_log logs/access.log;
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    client_max_body_size 20m;
    server {
        listen 127.0.0.1:$PORT;
        secrules on;
        secrules_file crs.conf;
        secrules_client_cert_headers on;
        location / { proxy_pass http://127.0.0.1:$BACKEND_PORT; }
    }
}
EOF
nginx -p "$DIR/backend" -c nginx.conf
trap 'nginx -p "$DIR/backend" -c nginx.conf -s quit 2>/dev/null || true; [ -n "${VG:-}" ] && kill -QUIT "$VG" 2>/dev/null || true' EXIT

start=$(date +%s)
valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible \
    --errors-for-leak-kinds=definite,indirect --num-callers=40 --trace-children=no \
    --log-file="$DIR/valgrind.log" \
    nginx -p "$DIR" -c conf/nginx.conf &
VG=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    kill -0 $VG 2>/dev/null || { echo "nginx under valgrind exited"; tail -30 "$DIR/valgrind.log"; exit 1; }
    sleep 2
done
echo "valgrind: nginx with CRS answered after $(( $(date +%s) - start )) s"

U="http://127.0.0.1:$PORT"
B="----vgBoundary"
# (a file: $(...) would strip the final newline and leave a stray CR after the last boundary)
printf -- '--%s\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n--%s\r\nContent-Disposition: form-data; name="f"; filename="x.csv"\r\nContent-Type: text/csv\r\n\r\n1,2,3\r\n--%s--\r\n' "$B" "$B" "$B" >"$DIR/multipart.txt"
declare -A seen
send() { local code; code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 120 "$@"); seen[$code]=$(( ${seen[$code]:-0} + 1 )); }
{ printf 'a='; head -c 3000000 /dev/zero | tr '\0' a; } >"$DIR/big-form.txt"
for _ in $(seq "$ROUNDS"); do
    send "$U/clean?category=books&page=2" -H 'User-Agent: Mozilla/5.0' -H 'Cookie: s=1'
    send "$U/s?q=1%27%20union%20select%20password%20from%20users--"
    send "$U/s?q=%3Cscript%3Ealert(1)%3C/script%3E"
    send "$U/d?file=..%2f..%2f..%2fetc%2fpasswd"
    send "$U/form" --data 'name=Alice&city=Amsterdam&n=42'
    send "$U/json" -H 'Content-Type: application/json' --data '{"a":{"b":[1,2,"x"]},"c":"nice"}'
    send "$U/json" -H 'Content-Type: application/json' --data '{"a":"1'"'"' or 1=1--"}'
    send "$U/upload" -H "Content-Type: multipart/form-data; boundary=$B" --data-binary "@$DIR/multipart.txt"
    send "$U/upload" -H "Content-Type: multipart/form-data; boundary=other" --data-binary "@$DIR/multipart.txt"
    send "$U/form" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$DIR/big-form.txt"
done
echo "valgrind: $(( ROUNDS * 10 )) requests; answers: $(for k in "${!seen[@]}"; do printf '%s x%s  ' "$k" "${seen[$k]}"; done)"
kill -QUIT $VG
# Under valgrind the signal is acted on when epoll_wait returns: one more connection wakes it.
sleep 2; curl -s -o /dev/null --max-time 5 "$U/" || true
wait $VG || true
echo "valgrind: total $(( $(date +%s) - start )) s"
echo
grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|still reachable|Invalid|uninitialised" "$DIR/valgrind.log" | sed 's/^==[0-9]*== //' | sort | uniq -c
echo
echo "Errors and leaks whose stack goes through the module (secrules):"
awk '/^==[0-9]+== $/ {if (block ~ /ngx_http_secrules_module|secrules::/ && block ~ /(Invalid|uninitialised|lost in loss record|Mismatched|overlap)/) print block; block=""; next} {block = block "\n" $0}' "$DIR/valgrind.log" | head -200
echo "(end)"
