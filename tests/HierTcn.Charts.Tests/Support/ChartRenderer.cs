namespace HierTcn.Charts.Tests.Support;

/// <summary>`helm template` and `helm lint --strict` of a chart directory (the chart, or a changed copy of it) with
/// a value set, through the pinned helm.</summary>
public static class ChartRenderer
{
    public static (int ExitCode, string Output, string Errors) Template(ValueSet set, string? chartDirectory = null)
    {
        string chart = chartDirectory ?? ChartPaths.Chart;
        using var scratch = new TempDirectory();
        var (code, stdout, stderr) = Helm.Run(["template", set.Release, chart, "--namespace", ValueSet.Namespace,
            .. set.ValuesArguments(chart, scratch.Path)]);
        return (code, stdout, stderr);
    }

    public static (int ExitCode, string Output) Lint(ValueSet set, string? chartDirectory = null)
    {
        string chart = chartDirectory ?? ChartPaths.Chart;
        using var scratch = new TempDirectory();
        var (code, stdout, stderr) = Helm.Run(["lint", "--strict", chart, "--namespace", ValueSet.Namespace,
            .. set.ValuesArguments(chart, scratch.Path)]);
        return (code, stdout + stderr);
    }

    /// <summary>Renders <paramref name="set"/> and checks every object and how they fit together; the problems,
    /// empty when all is well (a failed render is one problem with helm's message).</summary>
    public static (IReadOnlyList<RenderedObject> Objects, IReadOnlyList<string> Problems) RenderAndCheck(ValueSet set, string? chartDirectory = null)
    {
        string chart = chartDirectory ?? ChartPaths.Chart;
        var (code, output, errors) = Template(set, chart);
        if (code != 0)
            return ([], [$"helm template failed (exit {code}): {errors.Trim()}"]);
        var (objects, problems) = ManifestReader.Read(output);
        var externals = ExternalObjects.FromValues(set.MergedValues(chart));
        return (objects, problems.Concat(ManifestChecks.Check(objects, ValueSet.Namespace, externals)).ToList());
    }
}
