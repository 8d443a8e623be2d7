namespace HierTcn.Tests.Shared;

/// <summary>Where the engines' programs are, or why a test cannot run.</summary>
public static class RespTools
{
    private static readonly Lazy<string?> RedisServerPath = new(() => OnPath("redis-server"));
    private static readonly Lazy<string?> RedisCliPath = new(() => OnPath("redis-cli"));
    private static readonly Lazy<string?> GarnetServerPath = new(FindGarnet);

    public static string RedisServer => RedisServerPath.Value ?? throw new FileNotFoundException(MissingReason(RespEngine.Redis));

    public static string RedisCli => RedisCliPath.Value ?? throw new FileNotFoundException(MissingReason(RespEngine.Redis));

    public static string GarnetServer => GarnetServerPath.Value ?? throw new FileNotFoundException(MissingReason(RespEngine.Garnet));

    /// <summary>Null when the engine's programs are installed; otherwise what to install.</summary>
    public static string? MissingReason(RespEngine engine)
    {
        if (RedisCliPath.Value is null)
            return "redis-cli not found on PATH (install Debian package redis-tools; it forms the cluster)";
        return engine switch
        {
            RespEngine.Redis when RedisServerPath.Value is null => "redis-server not found on PATH (install Debian package redis-server)",
            RespEngine.Garnet when GarnetServerPath.Value is null => "garnet-server not found in .build/garnet/ or on PATH (.ci/run installs it: dotnet tool install --tool-path .build/garnet garnet-server)",
            _ => null,
        };
    }

    private static string? FindGarnet()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "HierTcn.sln")))
            dir = dir.Parent;
        if (dir is not null && Path.Combine(dir.FullName, ".build", "garnet", "garnet-server") is var local && File.Exists(local))
            return local;
        return OnPath("garnet-server");
    }

    private static string? OnPath(string name)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}
