#!/usr/bin/env bash
# Makes a plain Debian bookworm base (debootstrap --variant=minbase) for linux/ARCH and adds
# it to `debian:bookworm` in the strata store, beside the platforms the name already holds.
# A foreign ARCH (arm64 on x86-64) is bootstrapped in two stages as debootstrap --foreign
# does: the first unpacks packages on the host, the second runs the target's own dpkg inside
# a chroot, through QEMU user emulation (scripts/setup.sh --qemu registers it with the F
# flag, so the chroot needs no QEMU binary of its own).
#
#   samples/base/make-debian.sh [--root DIR] [--force] [--tar-only FILE] [--arch arm64]
#
# Made once: the rootfs tar is cached in $STRATA_SAMPLES_CACHE (else /var/cache/strata-samples)
# as debian-bookworm-ARCH.tar, so later runs (and other stores) need no network.
set -euo pipefail

SCRIPT=make-debian
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

NAME=debian:bookworm
CACHE="${STRATA_SAMPLES_CACHE:-/var/cache/strata-samples}"
CACHED_TAR="$CACHE/debian-bookworm-$ARCH.tar"
MIRROR="${STRATA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ -z "$TAR_ONLY" && "$FORCE" != 1 ]] && has_platform_image "$NAME" "$ARCH"; then
  echo "make-debian: $NAME already has linux/$ARCH in the store, reusing it"
  exit 0
fi

make_rootfs_tar() {
  require_debootstrap
  local foreign=()
  if [[ "$ARCH" != "$HOST_ARCH" ]]; then
    foreign=(--foreign)
    # The second stage runs the target's binaries: refuse early, with the fix, if it cannot.
    local handler
    case "$ARCH" in
      arm64) handler=qemu-aarch64 ;;
      armhf | armel) handler=qemu-arm ;;
      *) handler="qemu-$ARCH" ;;
    esac
    if ! grep -q '^flags: .*F' "/proc/sys/fs/binfmt_misc/$handler" 2>/dev/null; then
      echo "make-debian: a $ARCH root needs QEMU user emulation ($handler, fix-binary flag): run scripts/setup.sh --qemu" >&2
      exit 1
    fi
  fi
  mkdir -p "$CACHE"
  local R="$CACHE/debian-bookworm-$ARCH.tmp"
  rm -rf "$R"
  echo "make-debian: debootstrap --arch=$ARCH --variant=minbase ${foreign[*]} bookworm (a few minutes, once)"
  debootstrap --arch="$ARCH" --variant=minbase "${foreign[@]}" bookworm "$R" "$MIRROR" \
    >"$CACHE/debootstrap-$ARCH.log" 2>&1 || { tail -n 20 "$CACHE/debootstrap-$ARCH.log" >&2; exit 1; }
  if [[ ${#foreign[@]} -gt 0 ]]; then
    echo "make-debian: second stage inside the chroot, under QEMU"
    chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /debootstrap/debootstrap --second-stage >>"$CACHE/debootstrap-$ARCH.log" 2>&1 \
      || { tail -n 20 "$CACHE/debootstrap-$ARCH.log" >&2; exit 1; }
  fi
  printf 'deb %s bookworm main\n' "$MIRROR" >"$R/etc/apt/sources.list"
  cache_rootfs "$R"
}

ensure_cached_rootfs
"${STRATA[@]}" import "${ROOT_ARGS[@]}" --platform "linux/$ARCH" "$CACHED_TAR" "$NAME" >/dev/null
echo "make-debian: imported $NAME for linux/$ARCH"
