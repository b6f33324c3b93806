# gib-taxii: a static binary on a small non-root image.
#
#   docker build --build-arg VERSION=v1.2.3 -t gib-taxii .
#   docker run -p 8080:8080 -v gib-taxii-data:/data \
#     -v $PWD/config.yaml:/etc/gib-taxii/config.yaml:ro \
#     -v $PWD/secrets:/run/secrets:ro \
#     -e GIB_USERNAME_FILE=/run/secrets/gib_username -e GIB_API_KEY_FILE=/run/secrets/gib_api_key \
#     gib-taxii
#
# ($PWD/secrets holds the files gib_username and gib_api_key; with Docker
# Swarm or Compose secrets they appear under /run/secrets by themselves.)
#
# In the config: storage.path under /data, taxii.listen 0.0.0.0:8080, and
# mappings.path under /etc/gib-taxii if you edit the mapping.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.buildVersion=${VERSION}" -o /out/gib-taxii ./cmd/gib-taxii
# The store's directory, owned by the runtime image's nonroot user (65532):
# a volume created at /data takes its owner from the image.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gib-taxii /usr/local/bin/gib-taxii
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
VOLUME ["/data"]
EXPOSE 8080 9180
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/gib-taxii", "healthcheck", "--config", "/etc/gib-taxii/config.yaml"]
ENTRYPOINT ["/usr/local/bin/gib-taxii"]
CMD ["serve", "--config", "/etc/gib-taxii/config.yaml"]
