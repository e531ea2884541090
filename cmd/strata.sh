#!/bin/sh
# The `strata` command (package.json "bin"; the build copies this file to dist/cmd/strata).
# It exists for one reason: Node 20 reads and parses the whole NODE_EXTRA_CA_CERTS bundle at
# start-up, before any JavaScript runs (~60 ms here for Debian's bundle: `node -e 0` takes
# 40 ms without it and 100 ms with it), and every command would pay that, though only
# registry traffic and ADD <url> use TLS. So the path is handed over as STRATA_EXTRA_CA_CERTS;
# strata restores NODE_EXTRA_CA_CERTS for the processes it starts and adds the certificates
# to its own TLS connections (core/registry/tls-trust.ts): the trust is unchanged.
# `node dist/cmd/main.js` still works; it just pays the start-up cost.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  STRATA_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export STRATA_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
main="$(dirname -- "$(readlink -f -- "$0")")/main.js"

# Rootless (cmd/rootless-exec.ts): a non-root user's command that uses the store runs inside
# a user namespace. When nothing stands in the way it is entered here, so Node starts once
# instead of twice (~50 ms of every command); anything unusual (a seccomp filter, namespaces
# switched off, no unshare) is left to the Node side, which explains what fails.
strata_fast_userns() {
  [ -z "${STRATA_USERNS_READY_FD:-}" ] && [ "${STRATA_ROOTLESS:-}" != off ] || return 1
  uid="" seccomp=""
  while read -r key a _; do
    case "$key" in
      Uid:) uid=$a ;;
      Seccomp:) seccomp=$a ;;
    esac
  done </proc/self/status
  [ -n "$uid" ] && [ "$uid" != 0 ] && [ "$seccomp" = 0 ] || return 1
  for f in /proc/sys/user/max_user_namespaces /proc/sys/kernel/unprivileged_userns_clone; do
    [ -r "$f" ] && read -r v <"$f" && [ "$v" = 0 ] && return 1
  done
  f=/proc/sys/kernel/apparmor_restrict_unprivileged_userns
  [ -r "$f" ] && read -r v <"$f" && [ "$v" != 0 ] && return 1
  # The command: the first word after the global flags (cmd/main.ts readGlobalFlags).
  skip="" cmd=""
  for a in "$@"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case "$a" in
      --root) skip=1 ;;
      -*) ;;
      *) cmd=$a; break ;;
    esac
  done
  case "$cmd" in "" | parse | lint | login | root | help | version) return 1 ;; esac
  command -v unshare >/dev/null 2>&1 || return 1
  name="$(id -un 2>/dev/null)" || name=""
  maps=""
  if [ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ]; then
    u="$(strata_range /etc/subuid "$name" "$uid")" && g="$(strata_range /etc/subgid "$name" "$uid")" &&
      maps="--map-users=$u --map-groups=$g"
  fi
  # shellcheck disable=SC2086 # $maps is two words or none
  exec unshare --user --mount --propagation private --map-root-user $maps -- node "$main" "$@"
}

# Prints "start,1,count" for the first range of NAME or UID in FILE; fails when there is none.
strata_range() {
  [ -r "$1" ] || return 1
  while IFS=: read -r who start count; do
    if [ "$who" = "$2" ] || [ "$who" = "$3" ]; then
      case "$start$count" in *[!0-9]* | "") continue ;; esac
      echo "$start,1,$count"
      return 0
    fi
  done <"$1"
  return 1
}

strata_fast_userns "$@"
exec node "$main" "$@"
