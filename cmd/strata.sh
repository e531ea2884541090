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
exec node "$(dirname -- "$(readlink -f -- "$0")")/main.js" "$@"
