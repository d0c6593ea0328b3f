# A FROM-scratch image around the static connectd binary: no base image is pulled.
# Build the binary first: CGO_ENABLED=0 go build -o build/connectd ./cmd/connectd
# and the connector plugins: scripts/plugins.sh (PostgreSQL and generator, static, into build/plugins).
FROM scratch
COPY build/connectd /connectd
COPY build/plugins/ /plugins/
ENV CONNECT_PLUGIN_PATH=/plugins
COPY scripts/docker/passwd /etc/passwd
# The node runs as an unprivileged user that owns only its data directory; named volumes mounted
# on /data take this ownership from the image.
COPY --chown=10001:10001 scripts/docker/data/ /data/
USER 10001:10001
ENV TMPDIR=/data
VOLUME /data
EXPOSE 8083 8300 8301 9092
ENTRYPOINT ["/connectd"]
