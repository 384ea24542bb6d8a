#!/usr/bin/env bash
# Copies an nginx source tree to TREE, applies patches, and configures it, unless TREE already
# holds that same source, patches and arguments (a stamp records them), so later builds reuse it.
#
#   bash docker/configure-nginx.sh SRC TREE PATCHES_DIR|- CONFIGURE_ARGS...
#
# Patches are applied in name order, *.txt with -p0 and the others with -p1, as ingress-nginx's
# images/nginx/rootfs/build.sh applies its own; "-" for none.
set -euo pipefail
src=$1 tree=$2 patch_dir=$3
shift 3
patches=()
if [ "$patch_dir" != - ]; then
    mapfile -t patches < <(find "$patch_dir" -maxdepth 1 -type f \( -name '*.patch' -o -name '*.txt' \) | LC_ALL=C sort)
    [ ${#patches[@]} -gt 0 ] || { echo "configure-nginx: no patches in $patch_dir" >&2; exit 1; }
fi
stamp=$( { cat "$src/src/core/nginx.h"; printf '%s\n' "$@"; [ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"; } | sha256sum | cut -d' ' -f1)
if [ -f "$tree/objs/ngx_auto_config.h" ] && [ "$(cat "$tree/.secrules-stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0
fi
# What configure and make need, on Debian (CI); the Dockerfile's Alpine stage installs its own.
if command -v dpkg >/dev/null; then
    missing=()
    for pkg in gcc make patch libssl-dev libpcre2-dev zlib1g-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi
rm -rf "$tree"
mkdir -p "$tree"
cp -a "$src/." "$tree/"
for patch in "${patches[@]}"; do
    level=-p1
    [[ $patch == *.txt ]] && level=-p0
    (cd "$tree" && patch --batch --forward "$level" <"$patch" >"$tree/patch.log" 2>&1) || {
        echo "configure-nginx: $(basename "$patch") does not apply to $src:" >&2
        cat "$tree/patch.log" >&2
        exit 1
    }
done
[ ${#patches[@]} -eq 0 ] || echo "applied ${#patches[@]} patches from $patch_dir"
# release tarballs have ./configure, the source repository auto/configure
configure=./configure
[ -x "$tree/configure" ] || configure=auto/configure
(cd "$tree" && $configure "$@" >"$tree/configure.log" 2>&1) || {
    echo "configure-nginx: nginx configure failed, see $tree/configure.log" >&2
    tail -20 "$tree/configure.log" >&2
    exit 1
}
echo "$stamp" >"$tree/.secrules-stamp"
