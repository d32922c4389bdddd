# Both binaries in one static, non-root image: the hub Deployment runs /hub, the agent Deployment /agent.
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY agent/ agent/
COPY cmd/ cmd/
COPY deploy/crds/ deploy/crds/
COPY hub/ hub/
COPY internal/ internal/
COPY planner/ planner/
RUN go build -trimpath -ldflags="-s -w" -o /out/hub ./cmd/hub && \
    go build -trimpath -ldflags="-s -w" -o /out/agent ./cmd/agent

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hub /out/agent /
USER 65532:65532
ENTRYPOINT ["/hub"]
