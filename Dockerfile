# One committee member: `seqnode start` on the member folder that `seqnode init --hosts`
# wrote, mounted at /member (config.json, key.json, genesis.json; data/ and rollups/ are
# written there). See docs/DEPLOY.md.

# Build stage: all dependencies (TypeScript and esbuild are dev dependencies), then src/
# compiled to dist/ and the explorer page bundled.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before src/ is copied; the native packages load
# their prebuilt binaries without their install scripts.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build-explorer.js ./scripts/
COPY src ./src
RUN npm run build

# Runtime: production dependencies and the compiled code only (no TypeScript, no tsx).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src/polyfills ./src/polyfills
COPY --from=build /app/dist ./dist

# The member folder must be writable by uid 1000 (the image's `node` user).
USER node
VOLUME ["/member"]
# 7300: API (bind it with api.host 0.0.0.0 inside the container), 8300: p2p
EXPOSE 7300 8300
ENTRYPOINT ["node", "bin/seqnode.js"]
CMD ["start", "--config", "/member/config.json"]
