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
if [ -z "${STRATA_NO_SNAPSHOT:-}" ] && [ -z "${NODE_OPTIONS:-}" ] && [ -r "$snap/strata.blob" ] &&
  [ -e "$snap/node.stamp" ] && ! [ "$node" -nt "$snap/node.stamp" ] && ! [ "$node" -ot "$snap/node.stamp" ]; then
  exec "$node" --snapshot-blob "$snap/strata.blob" "$dist" "$@"
fi
exec "$node" "$cmd/main.js" "$@"
