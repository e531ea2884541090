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

has_image() { "${STRATA[@]}" inspect "${ROOT_ARGS[@]}" "$1" >/dev/null 2>&1; }
# Whether NAME holds an image for linux/ARCH (strata inspect --platform fails otherwise).
has_platform_image() { "${STRATA[@]}" inspect "${ROOT_ARGS[@]}" --platform "linux/$2" "$1" >/dev/null 2>&1; }
