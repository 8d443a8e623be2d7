# The inference service on CPU (ONNX Runtime CPU provider). Build context: the repository root.
#   docker build -f docker/inference.Dockerfile -t REGISTRY/hiertcn-inference:0.1.0 .
# Base images are pinned by exact version tag; pin them by digest as well (@sha256:...) when cutting a release.
FROM mcr.microsoft.com/dotnet/sdk:10.0.100-noble AS build
WORKDIR /src
COPY . .
RUN dotnet publish inference/HierTcn.Inference.Server/HierTcn.Inference.Server.csproj \
      -c Release -r linux-x64 --self-contained false -o /out -nologo \
 && rm -f /out/*.pdb

# Chiseled Ubuntu: no shell, no package manager; runs as the image's non-root `app` user (uid 1654).
FROM mcr.microsoft.com/dotnet/aspnet:10.0.0-noble-chiseled AS runtime
WORKDIR /app
COPY --from=build /out .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=0
USER $APP_UID
EXPOSE 8080 9464
ENTRYPOINT ["dotnet", "HierTcn.Inference.Server.dll"]
