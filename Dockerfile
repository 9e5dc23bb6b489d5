# One image for every role (Roles=triggers|dispatch|ingest). Build: docker build -t nps-triggers .
# Not built in CI here (no container engine on the build machine); kept small and conventional.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so the layer survives source edits.
COPY global.json Directory.Build.props Directory.Packages.props BannedSymbols.txt .editorconfig ./
COPY src/Core/Core.csproj src/Core/
COPY src/Triggers/Triggers.csproj src/Triggers/
COPY src/Dispatch/Dispatch.csproj src/Dispatch/
COPY src/Ingest/Ingest.csproj src/Ingest/
COPY src/Host/Host.csproj src/Host/
RUN dotnet restore src/Host/Host.csproj
COPY src/ src/
RUN dotnet publish src/Host/Host.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Non-root, numeric so Kubernetes can verify runAsNonRoot. The root filesystem can be read-only: the service
# writes nothing but temporary files, and the chart mounts an emptyDir at /tmp.
USER 10001:10001
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_EnableDiagnostics=0 \
    DOTNET_gcServer=0 \
    TMPDIR=/tmp
EXPOSE 8080
ENTRYPOINT ["dotnet", "NpsTriggers.Host.dll"]
