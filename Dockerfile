# One committee member: `seqnode start` on the member folder that `seqnode init --hosts`
# wrote, mounted at /member (config.json, key.json, genesis.json; data/ and rollups/ are
# written there). See docs/DEPLOY.md.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so a source change does not reinstall them. The runtime needs tsx
# (a dependency, not a dev dependency): the node runs its TypeScript sources directly.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY bin ./bin
COPY src ./src
COPY tsconfig.json ./

# The member folder must be writable by uid 1000 (the image's `node` user).
USER node
VOLUME ["/member"]
# 7300: API (bind it with api.host 0.0.0.0 inside the container), 8300: p2p
EXPOSE 7300 8300
ENTRYPOINT ["node", "bin/seqnode.js"]
CMD ["start", "--config", "/member/config.json"]
