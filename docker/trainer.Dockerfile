# The `hiertcn` command line on CPU (prepare, train, export, snapshot build): for training and publishing jobs.
# Build context: the repository root.
#   docker build -f docker/trainer.Dockerfile -t REGISTRY/hiertcn-trainer:0.1.0 .
# Base images are pinned by exact version tag; pin them by digest as well (@sha256:...) when cutting a release.
FROM mcr.microsoft.com/dotnet/sdk:10.0.100-noble AS build
WORKDIR /src
COPY . .
RUN dotnet publish cli/HierTcn.Cli/HierTcn.Cli.csproj \
      -c Release -r linux-x64 --self-contained false -o /out -nologo \
 && rm -f /out/*.pdb

# Full (not chiseled) runtime: libtorch loads libgomp and friends from the publish folder but wants a normal libc
# environment; jobs may also need a shell for their scripts.
FROM mcr.microsoft.com/dotnet/runtime:10.0.0-noble AS runtime
WORKDIR /app
COPY --from=build /out .
ENV DOTNET_gcServer=0
USER $APP_UID
WORKDIR /work
ENTRYPOINT ["dotnet", "/app/hiertcn.dll"]
CMD ["--help"]
