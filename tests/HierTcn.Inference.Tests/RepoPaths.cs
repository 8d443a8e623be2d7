namespace HierTcn.Inference.Tests;

/// <summary>Files of the repository the tests run (found by walking up from the test binaries).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "HierTcn.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("HierTcn.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The full path of an executable on PATH (or an absolute path that exists), else null.</summary>
    public static string? Tool(params string[] candidates)
    {
        foreach (string c in candidates)
        {
            if (Path.IsPathRooted(c))
            {
                if (System.IO.File.Exists(c))
                    return c;
                continue;
            }
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                string p = Path.Combine(dir, c);
                if (System.IO.File.Exists(p))
                    return p;
            }
        }
        return null;
    }
}
