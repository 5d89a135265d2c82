FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY migrations ./migrations
COPY src ./src
COPY scripts/typescript.mjs scripts/typescript-hooks.mjs ./scripts/
USER node
EXPOSE 3000
CMD ["npm", "start"]
