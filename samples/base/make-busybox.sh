#!/usr/bin/env bash
# Makes the `busybox:latest` base image offline, from Debian's busybox-static, and imports it
# into the strata store. Made once: when the store already has busybox:latest, it does nothing.
#
#   samples/base/make-busybox.sh [--root DIR] [--force] [--tar-only FILE]
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
if [[ -z "$TAR_ONLY" && "$FORCE" != 1 ]] && has_image "$NAME"; then
  echo "make-busybox: $NAME already in the store, reusing it"
  exit 0
fi

BUSYBOX=""
for c in /usr/bin/busybox /bin/busybox; do
  [[ -x "$c" ]] && BUSYBOX="$c" && break
done
if [[ -z "$BUSYBOX" ]] || ! file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked'; then
  # A dynamically linked busybox would need the host's libc inside the image.
  if [[ -z "$BUSYBOX" ]] || ! ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic'; then
    echo "make-busybox: need a static busybox at /usr/bin/busybox (apt-get install busybox-static, or run scripts/setup.sh)" >&2
    exit 1
  fi
fi

WORK="$(mktemp -d /tmp/strata-busybox.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
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
"${STRATA[@]}" import "${ROOT_ARGS[@]}" "$TAR" "$NAME" >/dev/null
echo "make-busybox: imported $NAME ($("$BUSYBOX" | head -1 | cut -d' ' -f2) from $BUSYBOX)"
