#!/usr/bin/env bash
# Builds the module for a given nginx the way that nginx was built: same source version, same
# patches, same configure arguments. This is the build stage of docker/Dockerfile (an
# ingress-nginx controller image plus secrules), kept as a script so that CI runs the same steps
# on machines without docker (docker/test-ingress-build.sh).
#
#   NGINX_SOURCE_DIR=/src/nginx-1.27.1 \
#   NGINX_PATCHES_DIR=/src/ingress-nginx/images/nginx/rootfs/patches \
#   TARGET_NGINX=/usr/local/nginx/sbin/nginx \
#   OUT_DIR=/out bash docker/build-for-ingress.sh
#
#   bash docker/build-for-ingress.sh check NGINX MODULE.so...   # nginx -t with each module loaded
#
# NGINX_SOURCE_DIR   nginx's release source (required).
# NGINX_PATCHES_DIR  patches to apply first, in name order: *.txt with -p0, others with -p1, as
#                    ingress-nginx's images/nginx/rootfs/build.sh applies them. Several of
#                    ingress-nginx's 35 patches add struct fields (ngx_http_upstream_s,
#                    ngx_stream_upstream_state_t...), which nginx's load-time check cannot see.
# TARGET_NGINX       the nginx binary the module is for: its version must be the source's, and its
#                    `nginx -V` configure arguments are used. Without it, the configure arguments of
#                    ingress-nginx v1.13-v1.15 (INGRESS_NGINX_ARGS below) are used.
# OUT_DIR            where ngx_http_secrules_module.so and its drop-in copy
#                    ngx_http_modsecurity_module.so go (default $CARGO_TARGET_DIR/ingress).
# BUILD_NGINX=1      also build that nginx itself (linked as $OUT_DIR/nginx), for tests; the
#                    check below then runs with it.
#
# --add-module / --add-dynamic-module arguments are dropped: they name third-party sources (lua,
# ModSecurity-nginx, brotli...) that are not here, and they change no structure a dynamic module
# sees (modules are counted at load time with --with-compat; no core header looks at them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

# The check: `nginx -t` on a configuration that loads MODULE and uses both directive families.
check() {
    local nginx=$1
    shift
    local module dir
    for module in "$@"; do
        dir=$(mktemp -d)
        mkdir -p "$dir/conf" "$dir/logs" "$dir/tmp"
        cat >"$dir/conf/nginx.conf" <<CONF
load_module $module;
pid logs/nginx.pid;
error_log logs/error.log;
events { worker_connections 64; }
http {
    client_body_temp_path tmp/body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    modsecurity on;
    modsecurity_rules '
      SecRuleEngine On
      SecRule ARGS "@detectSQLi" "id:1,phase:2,deny,status:403,log"
    ';
    server {
        listen 127.0.0.1:8080;
        secrules_client_cert_headers on;
        secrule 'SecRule REQUEST_HEADERS:user "@streq admin" "id:2,phase:1,deny,status:403"';
        location / { return 200; }
        location /internal { internal; modsecurity off; return 204; }
    }
}
CONF
        if ! "$nginx" -p "$dir" -c conf/nginx.conf -t >"$dir/out" 2>&1; then
            echo "build-for-ingress: nginx -t failed with $module loaded:" >&2
            cat "$dir/out" "$dir/logs/error.log" >&2 2>/dev/null || true
            rm -rf "$dir"
            exit 1
        fi
        echo "nginx -t passed with $module loaded ($("$nginx" -v 2>&1))"
        rm -rf "$dir"
    done
}

if [ "${1:-}" = check ]; then
    shift
    check "$@"
    exit 0
fi

# images/nginx/rootfs/build.sh of ingress-nginx v1.13-v1.15 (nginx 1.27.1), third-party modules
# left out (see above); --with-file-aio and -m64 -mtune=generic on x86_64 only, as there.
INGRESS_NGINX_ARGS=(
    --prefix=/usr/local/nginx --conf-path=/etc/nginx/nginx.conf --modules-path=/etc/nginx/modules
    --http-log-path=/var/log/nginx/access.log --error-log-path=/var/log/nginx/error.log
    --lock-path=/var/lock/nginx.lock --pid-path=/run/nginx.pid
    --http-client-body-temp-path=/var/lib/nginx/body --http-fastcgi-temp-path=/var/lib/nginx/fastcgi
    --http-proxy-temp-path=/var/lib/nginx/proxy --http-scgi-temp-path=/var/lib/nginx/scgi
    --http-uwsgi-temp-path=/var/lib/nginx/uwsgi
    --with-debug --with-compat --with-pcre-jit --with-http_ssl_module --with-http_stub_status_module
    --with-http_realip_module --with-http_auth_request_module --with-http_addition_module
    --with-http_gzip_static_module --with-http_sub_module --with-http_v2_module --with-http_v3_module
    --with-stream --with-stream_ssl_module --with-stream_realip_module --with-stream_ssl_preread_module
    --with-threads --with-http_secure_link_module --with-http_gunzip_module
    --without-mail_pop3_module --without-mail_smtp_module --without-mail_imap_module
    --without-http_uwsgi_module --without-http_scgi_module
    --user=www-data --group=www-data
)
cc_opt="-g -O2 -fPIE -fstack-protector-strong -Wformat -Werror=format-security -Wno-deprecated-declarations -fno-strict-aliasing -D_FORTIFY_SOURCE=2 --param=ssp-buffer-size=4 -DTCP_FASTOPEN=23 -fPIC -Wno-cast-function-type"
if [ "$(uname -m)" = x86_64 ]; then
    INGRESS_NGINX_ARGS+=(--with-file-aio)
    cc_opt+=" -m64 -mtune=generic"
fi
INGRESS_NGINX_ARGS+=("--with-cc-opt=$cc_opt" "--with-ld-opt=-fPIE -fPIC -pie -Wl,-z,relro -Wl,-z,now")

src=${NGINX_SOURCE_DIR:?set NGINX_SOURCE_DIR to nginx source}
[ -f "$src/src/core/nginx.h" ] || { echo "build-for-ingress: no nginx source at $src" >&2; exit 1; }
version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$src/src/core/nginx.h")

if [ -n "${TARGET_NGINX:-}" ]; then
    target_v=$("$TARGET_NGINX" -V 2>&1)
    target_version=$(sed -n 's|^nginx version: nginx/\([0-9.]*\).*|\1|p' <<<"$target_v")
    if [ "$target_version" != "$version" ]; then
        echo "build-for-ingress: $TARGET_NGINX is nginx $target_version, the source is $version" >&2
        exit 1
    fi
    # `nginx -V` prints the arguments shell-quoted ('...' around values with spaces); xargs
    # undoes that quoting without evaluating anything.
    mapfile -t all_args < <(sed -n 's/^configure arguments: //p' <<<"$target_v" | xargs printf '%s\n')
    conf_args=()
    for arg in "${all_args[@]}"; do
        case $arg in
        --add-module=* | --add-dynamic-module=*) echo "build-for-ingress: dropping $arg (third-party source)" ;;
        *) conf_args+=("$arg") ;;
        esac
    done
else
    conf_args=("${INGRESS_NGINX_ARGS[@]}")
fi

root=$(cd "$here/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=${OUT_DIR:-$target/ingress}
tree=$target/nginx/ingress-$version
bash "$root/docker/configure-nginx.sh" "$src" "$tree" "${NGINX_PATCHES_DIR:--}" "${conf_args[@]}"
echo "nginx $version configured in $tree with: ${conf_args[*]}"

# A Rust cdylib on musl (Alpine, as in the controller image) must not link the C runtime
# statically: nginx has its own, and a second one in the module breaks dlopen.
if [ -f /etc/alpine-release ] || ldd --version 2>&1 | grep -qi musl; then
    export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=-crt-static"
fi

# nginx-sys prefers NGINX_SOURCE_DIR to NGINX_BUILD_DIR for its include paths: it would read the
# unpatched original's headers.
unset NGINX_SOURCE_DIR
NGINX_BUILD_DIR=$tree/objs bash "$root/docker/build-module.sh"
mkdir -p "$out"
cp "$target/release/ngx_http_secrules_module.so" "$out/ngx_http_secrules_module.so"
# The drop-in: ingress-nginx's template loads this file name when ModSecurity is enabled, and the
# module answers to the modsecurity* directives.
cp "$target/release/ngx_http_secrules_module.so" "$out/ngx_http_modsecurity_module.so"

checker=${TARGET_NGINX:-}
if [ "${BUILD_NGINX:-0}" = 1 ]; then
    if [ ! -x "$tree/objs/nginx" ] || [ "$tree/objs/nginx" -ot "$tree/.secrules-stamp" ]; then
        make -C "$tree" -j"$(nproc)" >"$tree/make.log" 2>&1 || { tail -30 "$tree/make.log" >&2; exit 1; }
    fi
    checker=$tree/objs/nginx
    ln -sfn "$checker" "$out/nginx"
fi
if [ -n "$checker" ]; then
    check "$checker" "$out/ngx_http_secrules_module.so" "$out/ngx_http_modsecurity_module.so"
fi
echo "built $out/ngx_http_secrules_module.so and $out/ngx_http_modsecurity_module.so for nginx $version"
