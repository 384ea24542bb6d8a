#!/usr/bin/env bash
# The hospital gateway demo on a fresh Debian 12 machine:
#   bash nginx-conf/demo.sh        installs what it needs, builds the module, makes a demo CA with
#                                  server and client certificates, starts nginx on 127.0.0.1:8443
#                                  in front of an echo backend on 127.0.0.1:8081, and shows the calls
#   bash nginx-conf/demo.sh stop   stops both
# Everything lives in target/demo (DEMO_DIR to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=${DEMO_DIR:-$root/target/demo}

stop() {
    if [ -f "$demo/logs/nginx.pid" ]; then
        /usr/sbin/nginx -p "$demo/" -c "$demo/nginx.conf" -s quit 2>/dev/null || true
    fi
    if [ -f "$demo/backend.pid" ]; then
        kill "$(cat "$demo/backend.pid")" 2>/dev/null || true
        rm -f "$demo/backend.pid"
    fi
    for _ in $(seq 50); do [ -f "$demo/logs/nginx.pid" ] || break; sleep 0.1; done
    echo "demo stopped"
}

if [ "${1:-}" = stop ]; then
    stop
    exit 0
fi

missing=()
for pkg in nginx nginx-dev libclang-dev curl openssl python3 gcc; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if command -v cargo >/dev/null; then :; else
    echo "cargo (Rust >= 1.81) is required: install it with rustup" >&2
    exit 1
fi

bash docker/build-module.sh

stop >/dev/null 2>&1 || true
mkdir -p "$demo"/{certs,modules,logs,tmp}
cp "${CARGO_TARGET_DIR:-target}/release/ngx_http_secrules_module.so" "$demo/modules/"
cp nginx-conf/demo/nginx.conf nginx-conf/demo/hospital-rules.conf "$demo/"

# Demo PKI: a CA, the gateway's server certificate, and two client services.
cd "$demo/certs"
if [ ! -f ca.crt ]; then
    quiet() { "$@" >/dev/null 2>&1; }
    quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
        -subj "/O=Hospital Network/CN=Hospital Demo CA"
    leaf() { # name subject extensions
        printf '%s\n' "$3" >"$1.ext"
        quiet openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2"
        quiet openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
            -out "$1.crt" -extfile "$1.ext"
    }
    leaf server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1"
    leaf client "/C=NL/O=General Hospital/CN=orders-service" "extendedKeyUsage=clientAuth"
    leaf clinic "/C=NL/O=Other Clinic/CN=billing-service" "extendedKeyUsage=clientAuth"
fi
cd "$root"

python3 nginx-conf/demo/echo_backend.py 8081 >"$demo/logs/backend.log" 2>&1 &
echo $! >"$demo/backend.pid"
/usr/sbin/nginx -p "$demo/" -c "$demo/nginx.conf"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:8081/" && break; sleep 0.1; done

c="$demo/certs"
show() { # title, curl args...
    local title=$1; shift
    printf '\n$ curl'; printf ' %q' "$@" | sed "s|$c/|certs/|g"; printf '\n'
    local out
    out=$(curl -s -w '\n[HTTP %{http_code}]' "$@" || true)
    printf '%s\n' "$out" | grep -iE 'ssl-client|HTTP ' | sed 's/^/  /'
    printf '  ^ %s\n' "$title"
}
echo
echo "secrules demo: nginx on https://127.0.0.1:8443 -> echo backend on 127.0.0.1:8081 (files in $demo)"
show "no client certificate: 400" --cacert "$c/ca.crt" https://127.0.0.1:8443/
show "client certificate: 200, the backend saw the fingerprint" \
    --cacert "$c/ca.crt" --cert "$c/client.crt" --key "$c/client.key" https://127.0.0.1:8443/
show "request from 34.242.209.15 (via the trusted load balancer): 403" \
    --cacert "$c/ca.crt" --cert "$c/client.crt" --key "$c/client.key" -H 'X-Forwarded-For: 34.242.209.15' https://127.0.0.1:8443/
show "user: admin: 403" \
    --cacert "$c/ca.crt" --cert "$c/client.crt" --key "$c/client.key" -H 'user: admin' https://127.0.0.1:8443/
show "user: user: 200" \
    --cacert "$c/ca.crt" --cert "$c/client.crt" --key "$c/client.key" -H 'user: user' https://127.0.0.1:8443/
show "certificate of another organisation: 403" \
    --cacert "$c/ca.crt" --cert "$c/clinic.crt" --key "$c/clinic.key" https://127.0.0.1:8443/
echo
echo "rule matches are in $demo/logs/error.log; stop the demo with: bash nginx-conf/demo.sh stop"
