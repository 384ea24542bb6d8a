#!/usr/bin/env bash
# Prints the path of an nginx source tree taken from the `nginx-src` crate (crates.io carries
# nginx's release source in it, so no other download is needed):
#
#   source=$(bash docker/nginx-src.sh "1.28" "$work")       # newest 1.28.x the crate ships
#   source=$(bash docker/nginx-src.sh "=1.28.0" "$work")    # crate 1.28.0+1.28.0: nginx 1.28.0
#
# The crate is only a carrier: a throwaway package in $2/fetch-<req> depends on it and cargo
# metadata says where cargo unpacked it.
set -euo pipefail
req=$1
work=$2
dir=$work/fetch-${req//[^0-9A-Za-z.]/}
mkdir -p "$dir/src"
cat >"$dir/Cargo.toml" <<TOML
[package]
name = "fetch-nginx-src"
version = "0.0.0"
edition = "2021"
publish = false
[dependencies]
nginx-src = "$req"
[workspace]
TOML
: >"$dir/src/lib.rs"
(cd "$dir" && cargo metadata --format-version 1 --quiet) |
    python3 -c 'import json,sys,os; m=json.load(sys.stdin); p=[x for x in m["packages"] if x["name"]=="nginx-src"][0]; print(os.path.join(os.path.dirname(p["manifest_path"]), "nginx"))'
