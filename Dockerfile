# The casualty binary in a small image that runs as a non-root user, for sharded runs on a cluster
# (deploy/kubernetes/indexed-job.yaml, docs/scaling.md).
#
#   docker build -t casualty .
#   docker run --rm -v "$PWD/out:/data" casualty generate --config /data/scenario.json --output /data/run
#
# NOTE: this file has not been built: the machines the project is developed and tested on have no
# container runtime. docs/scaling.md lists what was tested instead.

# Build stage: the release binary, with the versions of Cargo.lock.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p casualty-cli --locked \
    && cp target/release/casualty /usr/local/bin/casualty

# Final stage: glibc and libgcc only, which is all the binary links to; no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/casualty /usr/local/bin/casualty
# The distroless `nonroot` user (uid and gid 65532).
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["/usr/local/bin/casualty"]
CMD ["--help"]
