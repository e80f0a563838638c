# syntax=docker/dockerfile:1
# One image, three roles: `netids operator`, `netids sensor`, `netids detector` (also `netids run`,
# `netids eval`, ...). The operator runs it for sensor and detector pods too.
#
#   docker build -t netids:0.1.0 .
#   kind load docker-image netids:0.1.0            # or push it to your registry
#   helm install netids charts/netids -n netids-system --create-namespace \
#     --set image.repository=netids --set image.tag=0.1.0
#
# Capture privileges. tcpdump carries the file capability cap_net_raw+ep and the image runs as
# the unprivileged user 65532, so the long-running Node.js process (which parses untrusted
# packets) holds no capability at all; only the tcpdump it starts gains CAP_NET_RAW. For that the
# sensor container must allow it: capabilities {drop: [ALL], add: [NET_RAW]} (the bounding set
# caps what any exec can gain at NET_RAW) and allowPrivilegeEscalation: true (no_new_privs would
# make the kernel ignore file capabilities). To narrow what that permits, the image has no setuid
# or setgid binaries. The operator and detector run with allowPrivilegeEscalation: false and no
# capabilities; for them the file capability is inert.
# The alternative, running the sensor as root with only NET_RAW, does not work with Debian's
# tcpdump: as root it always switches to the `tcpdump` user after opening the device, which needs
# CAP_SETUID and CAP_SETGID (it exits with "Couldn't change to 'tcpdump' uid=...").

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first (cached while only sources change). Install scripts are skipped: the
# runtime dependencies need none, and the native devDependency (cap) is only for benchmarks.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json \
 && rm -rf dist/test \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="netids" \
      org.opencontainers.image.description="Network intrusion detection for Kubernetes: operator, sensor and detector" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN apt-get update \
 && apt-get install -y --no-install-recommends tcpdump libpcap0.8 libcap2-bin \
 && setcap cap_net_raw+ep /usr/bin/tcpdump \
 && apt-get purge -y libcap2-bin \
 && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/* \
 && find / -xdev -type f -perm /6000 -exec chmod a-s {} + \
 && groupadd --gid 65532 netids \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin netids
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
COPY --from=build /src/proto ./proto
COPY --from=build /src/crds ./crds
COPY --from=build /src/test/fixtures/demo ./test/fixtures/demo
USER 65532:65532
# Metrics, /healthz and /readyz (all roles); detector gRPC; `netids run` dashboard.
EXPOSE 9090 9000 8080
ENTRYPOINT ["node", "/app/bin/netids.js"]
CMD ["--help"]
