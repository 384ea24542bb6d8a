#!/usr/bin/env bash
# Builds ngx_http_secrules_module.so against a configured nginx source tree.
#
#   bash docker/build-module.sh                 # Debian's nginx-dev tree (/usr/share/nginx/src)
#   NGINX_SOURCE_DIR=/src/nginx-1.27.1 NGINX_CONFIGURE_ARGS="--with-compat ..." bash docker/build-module.sh
#   NGINX_BUILD_DIR=/src/nginx/objs bash docker/build-module.sh   # an already configured tree
#
# cargo cannot order our build.rs before nginx-sys's, which needs a configured tree to generate its
# bindings, so the tree is configured here, once, in target/nginx/<name>, and reused on later runs.
# The result is target/<profile>/ngx_http_secrules_module.so (PROFILE=release by default).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
profile=${PROFILE:-release}

if [ -z "${NGINX_BUILD_DIR:-}" ]; then
    src=${NGINX_SOURCE_DIR:-/usr/share/nginx/src}
    if [ ! -f "$src/src/core/nginx.h" ]; then
        echo "build-module: no nginx source at $src (install nginx-dev, or set NGINX_SOURCE_DIR)" >&2
        exit 1
    fi
    version=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$src/src/core/nginx.h")
    tree=$target/nginx/nginx-$version
    if [ -n "${NGINX_CONFIGURE_ARGS:-}" ]; then
        read -r -a conf_args <<<"$NGINX_CONFIGURE_ARGS"
    elif [ -f "$src/conf_flags" ]; then
        # Debian's nginx-dev records the flags its nginx was configured with.
        # shellcheck disable=SC1091
        source "$src/conf_flags"
        conf_args=("${NGX_CONF_FLAGS[@]}")
    else
        conf_args=(--with-compat --with-http_ssl_module --with-http_realip_module --with-http_v2_module --with-http_auth_request_module --with-threads)
    fi
    bash docker/configure-nginx.sh "$src" "$tree" - "${conf_args[@]}"
    # plain `cargo build` / `cargo test` use this link (see .cargo/config.toml)
    ln -sfn "nginx-$version" "$target/nginx/current"
    export NGINX_BUILD_DIR=$tree/objs
    # nginx-sys would take the unconfigured original for its include paths
    unset NGINX_SOURCE_DIR
fi

if [ "$profile" = release ]; then
    cargo build --release --lib
else
    cargo build --lib
fi
cp "$target/$profile/libsecrules.so" "$target/$profile/ngx_http_secrules_module.so"
echo "built $target/$profile/ngx_http_secrules_module.so (nginx tree: $NGINX_BUILD_DIR)"
