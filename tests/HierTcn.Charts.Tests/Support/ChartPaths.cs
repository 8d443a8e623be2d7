namespace HierTcn.Charts.Tests.Support;

/// <summary>Locations in the source tree, found by walking up from the test assembly to HierTcn.sln.</summary>
public static class ChartPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string ChartsDirectory => Path.Combine(RepositoryRoot, "charts");

    public static string Chart => Path.Combine(ChartsDirectory, "hiertcn");

    public static string Templates => Path.Combine(Chart, "templates");

    public static string Values => Path.Combine(Chart, "values.yaml");

    public static string Schema => Path.Combine(Chart, "values.schema.json");

    public static string ExampleOverride(string name) => Path.Combine(Chart, name);

    /// <summary>Test inputs kept beside the sources (bad values files and the like).</summary>
    public static string TestData(string name) => Path.Combine(RepositoryRoot, "tests", "HierTcn.Charts.Tests", "TestData", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "HierTcn.sln")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no HierTcn.sln above {AppContext.BaseDirectory}");
    }
}
