# syntax=docker/dockerfile:1
# Production image of the steel sales portal: build with the dev toolchain, run on a slim Node image.

# 1. Compile the server (tsc) and the web portal (vite).
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY server ./server
COPY shared ./shared
COPY migrations ./migrations
COPY scripts/erp ./scripts/erp
COPY web ./web
RUN npm run build

# 2. Production dependencies only; better-sqlite3 and argon2 compile against this Node's headers.
FROM node:20-bookworm AS deps
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# 3. Runtime: compiled code, built web, production node_modules; runs as the unprivileged node user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/web/dist ./web/dist
COPY package.json ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Migrations run at start (both stores); SIGTERM from `docker stop` triggers the graceful shutdown.
CMD ["node", "--enable-source-maps", "dist/server/src/main.js"]
