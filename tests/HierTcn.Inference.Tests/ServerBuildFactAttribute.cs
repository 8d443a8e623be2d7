namespace HierTcn.Inference.Tests;

/// <summary>A fact that starts the server from its own build folder (the one HierTcn.sln's build writes, with its
/// appsettings.json), in the configuration the tests were built in; skipped, visibly, where that folder is absent.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ServerBuildFactAttribute : FactAttribute
{
    public ServerBuildFactAttribute()
    {
        if (!File.Exists(Path.Combine(Folder, "appsettings.json")) || !File.Exists(Path.Combine(Folder, "HierTcn.Inference.Server.dll")))
            Skip = $"the server's build folder {Folder} (with appsettings.json) is absent: build HierTcn.sln first";
    }

    /// <summary>inference/HierTcn.Inference.Server/bin/CONFIGURATION/net10.0, CONFIGURATION taken from the tests' own path.</summary>
    public static string Folder
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return RepoPaths.File("inference", "HierTcn.Inference.Server", "bin", tfm.Parent!.Name, tfm.Name);
        }
    }
}
