# One image recipe for every service: docker build --build-arg APP=router .
FROM node:20-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP=router
RUN npx nx build ${APP} --configuration=production --skip-nx-cache

# Tools stage: the repository with its dev dependencies, for one-shot jobs (topic creation).
FROM build AS tools
CMD ["npm", "run", "-s", "infra", "--", "topics"]

FROM node:20-bookworm-slim AS runtime
ARG APP=router
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist/apps/${APP}/ ./
RUN npm install --omit=dev --no-audit --no-fund
USER node
CMD ["node", "main.js"]
