#!/usr/bin/env bash
# Prepares a machine to build and test strata. Idempotent: apt runs only when a package is
# missing, `npm ci` only when node_modules is older than package-lock.json (npm ci wipes
# node_modules, which would disturb anything running from this checkout), and the build is
# always redone because it is cheap and the sources may have changed.
# Env: STRATA_SETUP_SKIP_APT=1 skips the system packages; STRATA_SETUP_FORCE_NPM=1 forces npm ci.
set -euo pipefail

cd "$(dirname "$0")/.."

PACKAGES=(runc busybox-static docker.io skopeo umoci docker-registry buildah debootstrap attr iproute2 chromium uidmap util-linux openssh-client)

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
