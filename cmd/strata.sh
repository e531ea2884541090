#!/bin/sh
# The `strata` command (package.json "bin"; the build copies this file to dist/cmd/strata).
# It does two things before Node runs, both for start-up time, and starts no other program
# (readlink and dirname cost 5-10 ms here; only a symlinked launcher pays for readlink):
#
# 1. Node 20 reads and parses the whole NODE_EXTRA_CA_CERTS bundle at start-up, before any
#    JavaScript runs (~60 ms here for Debian's bundle: `node -e 0` takes 40 ms without it and
#    100 ms with it), and every command would pay that, though only registry traffic and
#    ADD <url> use TLS. So the path is handed over as STRATA_EXTRA_CA_CERTS; strata restores
#    NODE_EXTRA_CA_CERTS for the processes it starts and adds the certificates to its own TLS
#    connections (core/registry/tls-trust.ts): the trust is unchanged.
# 2. It starts Node from strata's startup snapshot (dist/snapshot/strata.blob, made by
#    `npm run build`, see cmd/snapshot-main.ts) when the `node` on PATH is the binary that made
#    it: node.stamp carries that binary's mtime, and a snapshot from another Node would not
#    load. NODE_OPTIONS (which may change V8's configuration) or STRATA_NO_SNAPSHOT=1 runs the
#    plain bundle instead.
#
# And one thing for memory: Node runs with V8's young generation capped at 4 MB semi-spaces
# (`strata_v8_flags` below; V8's default for a 64-bit process is 16 MB). A build's per-file
# garbage dies young either way, and the smaller nursery took ~25 MB off the peak RSS of a
# 100,000-file COPY rebuilt after a one-file change, with no measurable time lost (README,
# "Decisions"). The snapshot must be started with the flags it was made with (V8 refuses it
# otherwise), so scripts/bundle.mjs reads them from this file. With NODE_OPTIONS set, V8's
# configuration is the user's: no flag is added.
#
# `node dist/cmd/main.js` still works; it just pays the start-up costs.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ]; then
  STRATA_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export STRATA_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
self=$0
if [ -L "$self" ]; then self=$(readlink -f -- "$self"); fi
case $self in
*/*) cmd=${self%/*} ;;
*) cmd=. ;;
esac
dist=$cmd/..
node=$(command -v node) || node=node
snap=$dist/snapshot
# V8's flags (see "one thing for memory" above): scripts/bundle.mjs reads this very line.
strata_v8_flags='--max-semi-space-size=4'
v8=$strata_v8_flags
if [ -n "${NODE_OPTIONS:-}" ]; then v8=""; fi
# The entry: the snapshot when usable (see 2. above), else the bundle. Neither path holds a
# space when it is the snapshot's (checked), so $entry may be split into its words.
entry="$cmd/main.js"
if [ -z "${STRATA_NO_SNAPSHOT:-}" ] && [ -z "${NODE_OPTIONS:-}" ] && [ -r "$snap/strata.blob" ] &&
  [ -e "$snap/node.stamp" ] && ! [ "$node" -nt "$snap/node.stamp" ] && ! [ "$node" -ot "$snap/node.stamp" ]; then
  case $snap in *[[:space:]]*) ;; *) entry="--snapshot-blob $snap/strata.blob $dist" ;; esac
fi

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
  skip="" sub=""
  for a in "$@"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case "$a" in
      --root) skip=1 ;;
      -*) ;;
      *) sub=$a; break ;;
    esac
  done
  case "$sub" in "" | parse | lint | login | root | help | version) return 1 ;; esac
  command -v unshare >/dev/null 2>&1 || return 1
  name="$(id -un 2>/dev/null)" || name=""
  maps=""
  if [ -x /usr/bin/newuidmap ] && [ -x /usr/bin/newgidmap ]; then
    u="$(strata_range /etc/subuid "$name" "$uid")" && g="$(strata_range /etc/subgid "$name" "$uid")" &&
      maps="--map-users=$u --map-groups=$g"
  fi
  # shellcheck disable=SC2086 # $maps is two words or none, $v8 and $entry are words
  case $entry in
  --snapshot-blob*) exec unshare --user --mount --propagation private --map-root-user $maps -- "$node" $v8 $entry "$@" ;;
  esac
  exec unshare --user --mount --propagation private --map-root-user $maps -- "$node" $v8 "$cmd/main.js" "$@"
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
# shellcheck disable=SC2086 # $entry is the snapshot's three words or the bundle's path, $v8 words
case $entry in
--snapshot-blob*) exec "$node" $v8 $entry "$@" ;;
esac
exec "$node" $v8 "$cmd/main.js" "$@"
