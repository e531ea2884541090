# Shared by the make-*.sh scripts (sourced, not run): where strata is, and the flags every
# script takes. The caller sets SCRIPT (its name, for messages) before sourcing.
#   --root DIR      the store (else STRATA_ROOT, else the default)
#   --force         make the image again even when the store has it
#   --tar-only FILE write the root filesystem tar to FILE and stop
#   --arch ARCH     a Debian architecture (arm64, amd64): the image is for linux/ARCH
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STRATA=(node "$REPO/dist/cmd/main.js")
ROOT_ARGS=()
FORCE=0
TAR_ONLY=""
ARCH=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --root) ROOT_ARGS=(--root "$2"); shift 2 ;;
    --force) FORCE=1; shift ;;
    --tar-only) TAR_ONLY="$2"; shift 2 ;;
    --arch) ARCH="$2"; shift 2 ;;
    *) echo "$SCRIPT: unknown argument $1" >&2; exit 2 ;;
  esac
done

# The machine's Debian architecture, and the one asked for (--arch, default the machine's).
HOST_ARCH="$(dpkg --print-architecture)"
[[ -n "$ARCH" ]] || ARCH="$HOST_ARCH"

# debootstrap, chroot and tar present, and root (debootstrap and chroot need it).
require_debootstrap() {
  for tool in debootstrap chroot tar; do
    command -v "$tool" >/dev/null || { echo "$SCRIPT: $tool is missing (run scripts/setup.sh)" >&2; exit 1; }
  done
  [[ "$(id -u)" == 0 ]] || { echo "$SCRIPT: debootstrap and chroot need root" >&2; exit 1; }
}

has_image() { "${STRATA[@]}" inspect "${ROOT_ARGS[@]}" "$1" >/dev/null 2>&1; }
# Whether NAME holds an image for linux/ARCH (strata inspect --platform fails otherwise).
has_platform_image() { "${STRATA[@]}" inspect "${ROOT_ARGS[@]}" --platform "linux/$2" "$1" >/dev/null 2>&1; }

# Tars the root at $1 into $CACHED_TAR (deterministic order, numeric owners, no /dev /proc
# /sys contents), atomically, and removes the root. For the Debian-based scripts.
cache_rootfs() {
  local root="$1"
  : >"$root/etc/resolv.conf"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/* "$root"/tmp/* "$root"/root/.npm
  tar --sort=name --numeric-owner --format=pax \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -C "$root" -cf "$CACHED_TAR.tmp" .
  mv "$CACHED_TAR.tmp" "$CACHED_TAR"
  rm -rf "$root"
  echo "$SCRIPT: cached the rootfs at $CACHED_TAR"
}

# make_rootfs_tar (the caller's) unless $CACHED_TAR exists; with --tar-only, copy it and exit.
# One maker at a time per cached tar: two runs (a test and a demo, say) would otherwise
# debootstrap into the same .tmp dir and break each other. The second waits, then reuses.
ensure_cached_rootfs() {
  mkdir -p "$(dirname "$CACHED_TAR")"
  exec 9>"$CACHED_TAR.lock"
  flock 9
  if [[ "$FORCE" == 1 || ! -f "$CACHED_TAR" ]]; then
    make_rootfs_tar
  else
    echo "$SCRIPT: using the cached rootfs $CACHED_TAR"
  fi
  if [[ -n "$TAR_ONLY" ]]; then
    cp "$CACHED_TAR" "$TAR_ONLY"
    echo "$SCRIPT: wrote $TAR_ONLY"
    exit 0
  fi
}
