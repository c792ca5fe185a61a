# connbench as a container image, for the manifests in deploy/kubernetes/ (docs/distributed.md).
# No container runtime runs where connbench is developed: test/deploy/kubernetes.test.ts checks
# that every file copied here exists, that the base is Node 20 and the user not root, and runs the
# entrypoint script itself; the image has not been built there.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
# Scripts off: `prepare` would build before the sources are copied; the build is the next step.
RUN npm ci --ignore-scripts
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY scenarios ./scenarios
COPY scenario.schema.json ./
COPY --chmod=755 deploy/docker-entrypoint.sh /usr/local/bin/connbench-entrypoint
# The image's own unprivileged user (uid 1000); results go to the working directory or a volume.
USER node
WORKDIR /home/node
ENTRYPOINT ["/usr/local/bin/connbench-entrypoint"]
CMD ["--help"]
