#!/usr/bin/env bash
# Builds a newer vanilla nginx (the source the `nginx-src` crate ships, 1.28.x), the module against
# it, and runs the nginx integration tests on that pair: the module must not only build against
# Debian's 1.22.1 (ingress-nginx runs 1.27, with `ngx_table_elt_t.next` from 1.23 on).
# Needs: gcc make libssl-dev libpcre2-dev zlib1g-dev (docker/configure-nginx.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${OTHER_NGINX_DIR:-$root/target/other-nginx}

source=$(bash docker/nginx-src.sh "1.28" "$work")
version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$source/src/core/nginx.h")
echo "other nginx: $version from $source"

export CARGO_TARGET_DIR=$work/target
NGINX_SOURCE_DIR=$source bash docker/build-module.sh
tree=$CARGO_TARGET_DIR/nginx/nginx-$version
if [ ! -x "$tree/objs/nginx" ]; then
    make -C "$tree" -j"$(nproc)" >"$tree/make.log" 2>&1 || { tail -30 "$tree/make.log"; exit 1; }
fi
unset CARGO_TARGET_DIR
NGINX_BINARY=$tree/objs/nginx SECRULES_MODULE=$work/target/release/ngx_http_secrules_module.so \
    cargo test --release --no-default-features --test gateway --test configuration --test request_body
