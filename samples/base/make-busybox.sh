#!/usr/bin/env bash
# Makes the `busybox:latest` base image offline, from Debian's busybox-static, and imports it
# into the strata store. Made once: when the store already has busybox:latest, it does nothing.
#
#   samples/base/make-busybox.sh [--root DIR] [--force] [--tar-only FILE] [--arch arm64]
#
# --arch ARCH (a Debian architecture other than the host's, e.g. arm64) makes the image for
# linux/ARCH from busybox-static:ARCH, fetched offline-friendly with `apt-get download` after
# `dpkg --add-architecture ARCH` (the deb is only unpacked, never installed), and adds it to
# busybox:latest beside the host's image: a multi-platform name, as a registry index is.
# Listing the applets runs that binary, so a foreign one needs QEMU (scripts/setup.sh --qemu).
#
# The rootfs: /bin/busybox (the host's static binary from the busybox-static package), one
# symlink per applet at the path `busybox --list-full` names (what `busybox --install -s`
# would make, without running anything inside the rootfs), /etc/passwd and /etc/group with
# root and nobody, /tmp (1777), /root. The tar is deterministic (sorted names, numeric owner
# 0:0, mtime 0), so the same busybox binary always gives the same diffID.
# --tar-only FILE writes the rootfs tar and stops (the benchmark feeds it to docker/buildah).
set -euo pipefail

SCRIPT=make-busybox
# shellcheck source=common.sh
source "$(dirname "$0")/common.sh"

NAME=busybox:latest
if [[ "$ARCH" == "$HOST_ARCH" ]]; then
  if [[ -z "$TAR_ONLY" && "$FORCE" != 1 ]] && has_image "$NAME"; then
    echo "make-busybox: $NAME already in the store, reusing it"
    exit 0
  fi
elif [[ -z "$TAR_ONLY" && "$FORCE" != 1 ]] && has_platform_image "$NAME" "$ARCH"; then
  echo "make-busybox: $NAME already has linux/$ARCH in the store, reusing it"
  exit 0
fi

WORK="$(mktemp -d /tmp/strata-busybox.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

BUSYBOX=""
if [[ "$ARCH" != "$HOST_ARCH" ]]; then
  if ! dpkg --print-foreign-architectures | grep -qx "$ARCH"; then
    echo "make-busybox: adding the $ARCH architecture to dpkg (dpkg --add-architecture $ARCH; apt-get update)"
    dpkg --add-architecture "$ARCH"
    apt-get update -qq
  fi
  (cd "$WORK" && apt-get download -qq "busybox-static:$ARCH" 2>/dev/null) || {
    echo "make-busybox: cannot download busybox-static:$ARCH (apt-get download); is a Debian mirror reachable?" >&2
    exit 1
  }
  dpkg-deb -x "$WORK"/busybox-static_*_"$ARCH".deb "$WORK/deb"
  BUSYBOX="$WORK/deb/bin/busybox"
  if ! "$BUSYBOX" true 2>/dev/null; then
    echo "make-busybox: cannot run the $ARCH busybox to list its applets: register QEMU user emulation first (scripts/setup.sh --qemu)" >&2
    exit 1
  fi
fi
for c in /usr/bin/busybox /bin/busybox; do
  [[ -z "$BUSYBOX" && -x "$c" ]] && BUSYBOX="$c"
done
if [[ -z "$BUSYBOX" ]] || ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
  # A dynamically linked busybox would need the host's libc inside the image.
  if [[ -z "$BUSYBOX" ]] || ! ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic'; then
    echo "make-busybox: need a static busybox at /usr/bin/busybox (apt-get install busybox-static, or run scripts/setup.sh)" >&2
    exit 1
  fi
fi

R="$WORK/rootfs"
mkdir -p "$R/bin" "$R/etc" "$R/root" "$R/tmp" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/var"
chmod 1777 "$R/tmp"
chmod 700 "$R/root"
install -m 0755 "$BUSYBOX" "$R/bin/busybox"
while IFS= read -r applet; do
  [[ -z "$applet" || "$applet" == bin/busybox ]] && continue
  mkdir -p "$R/$(dirname "$applet")"
  [[ -e "$R/$applet" || -L "$R/$applet" ]] || ln -s /bin/busybox "$R/$applet"
done < <("$BUSYBOX" --list-full)
cat >"$R/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$R/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
chmod 644 "$R/etc/passwd" "$R/etc/group"

TAR="${TAR_ONLY:-$WORK/busybox-rootfs.tar}"
tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 --format=pax \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$R" -cf "$TAR" .
if [[ -n "$TAR_ONLY" ]]; then
  echo "make-busybox: wrote $TAR"
  exit 0
fi
PLATFORM_ARGS=()
[[ "$ARCH" == "$HOST_ARCH" ]] || PLATFORM_ARGS=(--platform "linux/$ARCH")
"${STRATA[@]}" import "${ROOT_ARGS[@]}" "${PLATFORM_ARGS[@]}" "$TAR" "$NAME" >/dev/null
echo "make-busybox: imported $NAME for linux/$ARCH ($("$BUSYBOX" | head -1 | cut -d' ' -f2) from busybox-static:$ARCH)"
