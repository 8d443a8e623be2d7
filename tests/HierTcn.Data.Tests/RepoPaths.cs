namespace HierTcn.Data.Tests;

/// <summary>Paths inside the repository, found from the test assembly's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The Globo slice checked into the repository.</summary>
    public static string GloboSlice => Path.Combine(Root, "datasets", "globo-slice", "clicks.csv.gz");

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "HierTcn.sln")))
            {
                return d.FullName;
            }
        }
        throw new InvalidOperationException($"HierTcn.sln not found above {AppContext.BaseDirectory}");
    }
}
