# The `hiertcn` command line with TorchSharp on CUDA. TorchSharp's native shim loads the libtorch of the PyTorch
# base image (same libtorch major.minor as the LibTorchVersion in Directory.Packages.props); the CPU libtorch that
# the publish output carries is deleted so that it cannot be picked up instead (../shared/GPU.md shows the recipe
# on a bare GPU machine). Build context: the repository root.
#   docker build -f docker/trainer-cuda.Dockerfile -t REGISTRY/hiertcn-trainer:0.1.0-cuda .
# Base images are pinned by exact version tag; pin them by digest as well (@sha256:...) when cutting a release.
FROM mcr.microsoft.com/dotnet/sdk:10.0.100-noble AS build
WORKDIR /src
COPY . .
# Self-contained: the PyTorch base image has no .NET runtime.
RUN dotnet publish cli/HierTcn.Cli/HierTcn.Cli.csproj \
      -c Release -r linux-x64 --self-contained true -o /out -nologo \
 && rm -f /out/*.pdb \
 && find /out -maxdepth 1 \( -name 'libtorch*.so*' -o -name 'libc10*.so*' -o -name 'libgomp*.so*' \) \
      ! -name 'libLibTorchSharp.so' -delete

FROM pytorch/pytorch:2.10.0-cuda12.8-cudnn9-runtime AS runtime
RUN ln -s "$(python -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" /opt/torch-lib \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build /out .
ENV LD_LIBRARY_PATH=/opt/torch-lib \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
    DOTNET_gcServer=0 \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER 1654:1654
WORKDIR /work
ENTRYPOINT ["/app/hiertcn"]
CMD ["--help"]
