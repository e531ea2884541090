#!/usr/bin/env bash
# Prepares a machine to build and test strata. Idempotent: apt runs only when a package is
# missing, `npm ci` only when node_modules is older than package-lock.json (npm ci wipes
# node_modules, which would disturb anything running from this checkout), and the build is
# always redone because it is cheap and the sources may have changed.
# Env: STRATA_SETUP_SKIP_APT=1 skips the system packages; STRATA_SETUP_FORCE_NPM=1 forces npm ci.
#
#   scripts/setup.sh --qemu   also registers QEMU user emulation (binfmt_misc, fix-binary flag),
#                             so RUN steps of a foreign --platform (linux/arm64 on x86-64) run;
#                             done by default when STRATA_SETUP_QEMU=1. Needs root.
set -euo pipefail

QEMU="${STRATA_SETUP_QEMU:-0}"
for arg in "$@"; do
  case "$arg" in
    --qemu) QEMU=1 ;;
    *) echo "setup: unknown argument $arg (want --qemu)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."

PACKAGES=(runc busybox-static docker.io skopeo umoci docker-registry buildah debootstrap attr iproute2 chromium
  qemu-user-static binfmt-support uidmap util-linux openssh-client)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -gt 0 && "${STRATA_SETUP_SKIP_APT:-0}" != 1 ]]; then
  echo "setup: installing missing packages: ${missing[*]}"
  SUDO=""
  [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: system packages present"
fi

# The unprivileged user the rootless tests and bench rows run strata as (issue 16), with a
# subordinate id range so its user namespace maps 65536 ids.
if [[ "$(id -u)" -eq 0 ]]; then
  id strata-rootless >/dev/null 2>&1 || useradd --create-home --shell /bin/sh strata-rootless
  grep -q '^strata-rootless:' /etc/subuid 2>/dev/null \
    || usermod --add-subuids 2000000-2065535 --add-subgids 2000000-2065535 strata-rootless
fi

if [[ "${STRATA_SETUP_FORCE_NPM:-0}" == 1 || ! -f node_modules/.package-lock.json \
  || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: npm ci"
  npm ci
else
  echo "setup: node_modules up to date"
fi

echo "setup: npm run build"
npm run build

# QEMU user emulation for foreign-architecture RUN steps. binfmt_misc is a kernel feature:
# mount it, then let binfmt-support register Debian's qemu-user-static handlers, which carry
# the F (fix-binary) flag (the kernel opens the interpreter now, so it works inside containers
# whose root has no QEMU). /proc/sys/fs/binfmt_misc/qemu-aarch64 then says "flags: PF".
if [[ "$QEMU" == 1 ]]; then
  BINFMT=/proc/sys/fs/binfmt_misc
  if [[ ! -e "$BINFMT/status" ]]; then
    if ! mount -t binfmt_misc binfmt_misc "$BINFMT" 2>/dev/null; then
      echo "setup: cannot mount binfmt_misc at $BINFMT: the kernel lacks CONFIG_BINFMT_MISC, or this" >&2
      echo "setup: container may not mount it (run privileged, or register on the host: the handlers are" >&2
      echo "setup: kernel-wide). Foreign-platform RUN steps will fail with this reason until then." >&2
      exit 1
    fi
  fi
  for h in qemu-aarch64 qemu-arm; do
    if [[ -e "/usr/share/binfmts/$h" ]]; then
      update-binfmts --import "$h" >/dev/null 2>&1 || true
      update-binfmts --enable "$h" >/dev/null 2>&1 || true
    fi
  done
  # arm64 packages can then be downloaded (never installed) for arm64 bases and tests:
  # samples/base/make-busybox.sh --arch arm64 unpacks busybox-static:arm64.
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
    [[ "${STRATA_SETUP_SKIP_APT:-0}" == 1 ]] || apt-get update -qq
  fi
  if grep -q '^flags: .*F' "$BINFMT/qemu-aarch64" 2>/dev/null; then
    echo "setup: QEMU user emulation registered ($(head -2 "$BINFMT/qemu-aarch64" | tail -1))"
  else
    echo "setup: qemu-aarch64 is not registered with the fix-binary flag; see $BINFMT/qemu-aarch64" >&2
    exit 1
  fi
fi
