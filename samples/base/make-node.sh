#!/usr/bin/env bash
# Makes a Node.js base image offline-after-first-run: a Debian bookworm root
# (debootstrap --variant=minbase) with nodejs, npm and ca-certificates, imported into the
# strata store as `strata-node:bookworm`, and tagged `node:22-alpine` as a STAND-IN so the
# seed's Dockerfiles build unchanged without a registry. It is not Alpine and not Node 22:
# it is Debian bookworm's Node.js; the script says so every time it tags it.
#
#   samples/base/make-node.sh [--root DIR] [--force] [--tar-only FILE]
#
# Made once, then reused at three levels:
#   1. the store already has strata-node:bookworm   -> only make sure node:22-alpine points at it
#   2. the cache has the rootfs tar                 -> import it (no network)
#   3. otherwise debootstrap + apt-get (http://deb.debian.org), tar into the cache, import
# Cache dir: $STRATA_SAMPLES_CACHE, else /var/cache/strata-samples.
# --tar-only FILE copies the cached rootfs tar to FILE (made if missing) and stops.
#
# TLS: this machine reaches the npm registry through a TLS-intercepting proxy whose CA is in
# the host's /etc/ssl/certs/ca-certificates.crt. That bundle is copied into the image and
# named by /etc/npmrc (cafile=) and NODE_EXTRA_CA_CERTS, the way a corporate base image
# trusts its proxy; see samples/base/README.md.
set -euo pipefail

SCRIPT=make-node
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"
if [[ "$ARCH" != "$HOST_ARCH" ]]; then
  echo "make-node: makes the host's architecture ($HOST_ARCH) only; for a $ARCH Debian base use make-debian.sh --arch $ARCH" >&2
  exit 2
fi

NAME=strata-node:bookworm
ROOTFS_NAME=strata-node-rootfs:bookworm
STANDIN=node:22-alpine
CA_IN_IMAGE=/usr/local/share/strata/host-ca-certificates.crt
CACHE="${STRATA_SAMPLES_CACHE:-/var/cache/strata-samples}"
CACHED_TAR="$CACHE/node-bookworm-rootfs.tar"
MIRROR="${STRATA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

tag_standin() {
  "${STRATA[@]}" tag "${ROOT_ARGS[@]}" "$NAME" "$STANDIN"
  echo "make-node: NOTE $STANDIN in this store is a stand-in: $NAME (Debian bookworm, Node.js $1), not the Docker Hub image"
}

node_version() {
  local v
  # head closes the pipe early; the status of the pipe is not the point, its output is.
  v="$(tar -xOf "$CACHED_TAR" ./usr/share/doc/nodejs/changelog.Debian.gz 2>/dev/null | gzip -dc 2>/dev/null | head -1 | sed -E 's/.*\(([^)]*)\).*/\1/')" || true
  echo "${v:-unknown}"
}

if [[ -z "$TAR_ONLY" && "$FORCE" != 1 ]] && has_image "$NAME"; then
  echo "make-node: $NAME already in the store, reusing it"
  has_image "$STANDIN" || tag_standin "$( [[ -f "$CACHED_TAR" ]] && node_version || echo 'from Debian')"
  exit 0
fi

make_rootfs_tar() {
  require_debootstrap
  [[ -f /etc/ssl/certs/ca-certificates.crt ]] || { echo "make-node: host CA bundle /etc/ssl/certs/ca-certificates.crt is missing" >&2; exit 1; }
  mkdir -p "$CACHE"
  local R="$CACHE/node-bookworm-rootfs.tmp"
  rm -rf "$R"
  echo "make-node: debootstrap --variant=minbase bookworm into $R (a few minutes, once)"
  debootstrap --variant=minbase bookworm "$R" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; exit 1; }
  # apt inside the chroot needs name resolution and /proc; both are undone before tarring.
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  mount -t proc proc "$R/proc"
  trap 'umount "'"$R"'/proc" 2>/dev/null || true' EXIT
  local security="${MIRROR%/debian}/debian-security"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$MIRROR" "$MIRROR" "$security" >"$R/etc/apt/sources.list"
  echo "make-node: apt-get install nodejs npm ca-certificates"
  # A clean environment inside: the caller's TMPDIR (a test runner's temp dir, say) does not
  # exist in the chroot, and ca-certificates' postinst fails on it.
  local in_root=(chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
    DEBIAN_FRONTEND=noninteractive LC_ALL=C)
  "${in_root[@]}" apt-get update >>"$CACHE/debootstrap.log" 2>&1
  "${in_root[@]}" \
    apt-get install -y --no-install-recommends nodejs npm ca-certificates >>"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; exit 1; }
  "${in_root[@]}" apt-get clean
  umount "$R/proc"
  trap - EXIT
  # The corporate-proxy approach: trust the host's CA bundle (which holds the proxy's CA)
  # for npm and for node itself, without touching the image's own certificate store.
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$R$CA_IN_IMAGE"
  printf 'cafile=%s\nfund=false\naudit=false\nupdate-notifier=false\n' "$CA_IN_IMAGE" >"$R/etc/npmrc"
  cache_rootfs "$R"
}

ensure_cached_rootfs

"${STRATA[@]}" import "${ROOT_ARGS[@]}" "$CACHED_TAR" "$ROOTFS_NAME" >/dev/null
# `strata import` writes only PATH into the config; one metadata-only build adds the CA
# variable so `node` (not only npm) trusts the proxy.
CTX="$(mktemp -d /tmp/strata-node-base.XXXXXX)"
trap 'rm -rf "$CTX"' EXIT
cat >"$CTX/Dockerfile" <<DF
FROM $ROOTFS_NAME
ENV NODE_EXTRA_CA_CERTS=$CA_IN_IMAGE
CMD ["node"]
DF
if ! out="$("${STRATA[@]}" build "${ROOT_ARGS[@]}" --progress plain -t "$NAME" "$CTX" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
echo "make-node: imported $NAME"
tag_standin "$(node_version)"
