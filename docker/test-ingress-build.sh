#!/usr/bin/env bash
# CI for docker/Dockerfile without docker: runs its build stage's script, docker/build-for-ingress.sh,
# with ingress-nginx's configure arguments, then `nginx -t` with the module loaded under both names
# and the ingress-nginx-shaped test (tests/ingress_rendered.rs) on that nginx and module.
#
# ingress-nginx v1.13-v1.15 run nginx 1.27.1, whose source cannot be had offline: the `nginx-src`
# crate carries 1.28.x only. The closest is its oldest, nginx 1.28.0, the stable branch cut from
# the 1.27 mainline. ingress-nginx's 35 patches are not here either (they live in its repository);
# the Dockerfile applies them, and this run checks the same script without them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${OTHER_NGINX_DIR:-$root/target/other-nginx}

# the same target as docker/test-other-nginx.sh: dependencies are compiled once
NGINX_SOURCE_DIR=$(bash docker/nginx-src.sh "=1.28.0" "$work") OUT_DIR=$work/ingress BUILD_NGINX=1 \
    CARGO_TARGET_DIR=$work/target bash docker/build-for-ingress.sh
NGINX_BINARY=$work/ingress/nginx SECRULES_MODULE=$work/ingress/ngx_http_secrules_module.so \
    cargo test --release --no-default-features --test ingress_rendered
