# The inference service on NVIDIA GPUs (ONNX Runtime CUDA provider; CPU fallback when no GPU is visible).
# ONNX Runtime 1.31's CUDA provider needs CUDA 13 and cuDNN 9. Build context: the repository root.
#   docker build -f docker/inference-cuda.Dockerfile -t REGISTRY/hiertcn-inference:0.1.0-cuda .
# Base images are pinned by exact version tag; pin them by digest as well (@sha256:...) when cutting a release.
FROM mcr.microsoft.com/dotnet/sdk:10.0.100-noble AS build
WORKDIR /src
COPY . .
# Self-contained: the CUDA base image has no .NET runtime.
RUN dotnet publish inference/HierTcn.Inference.Server/HierTcn.Inference.Server.csproj \
      -c Release -r linux-x64 --self-contained true -o /out -nologo \
 && rm -f /out/*.pdb

FROM nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04 AS runtime
# libicu for .NET globalization; ca-certificates for TLS to other services.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libicu74 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /out .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=0 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 1654:1654
EXPOSE 8080 9464
ENTRYPOINT ["/app/HierTcn.Inference.Server"]
