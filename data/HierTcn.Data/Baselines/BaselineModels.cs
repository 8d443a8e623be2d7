using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Baselines;

/// <summary>The simple baselines by name, for the CLI and tests.</summary>
public static class BaselineModels
{
    /// <summary>"pop", "recentpop", "cooc" and "sknn".</summary>
    public static IReadOnlyList<string> Names { get; } = ["pop", "recentpop", "cooc", "sknn"];

    /// <summary>Fits baseline <paramref name="name"/> on the training split of <paramref name="data"/>.</summary>
    /// <exception cref="UserInputException">Unknown name, or a dataset without a training split.</exception>
    /// <param name="recentWindowMs">recentpop's window (default <see cref="RecentPopularityModel.DefaultWindowMs"/>).</param>
    public static IRankingModel Fit(string name, PreparedDataset data, SessionKnnOptions? knn = null, long? recentWindowMs = null) => name switch
    {
        "pop" => PopularityModel.Fit(data),
        "recentpop" => RecentPopularityModel.Fit(data, recentWindowMs ?? RecentPopularityModel.DefaultWindowMs),
        "cooc" => TransitionModel.Fit(data),
        "sknn" => SessionKnnModel.Fit(data, knn),
        _ => throw new UserInputException($"unknown baseline '{name}'; expected one of {string.Join(", ", Names)}"),
    };
}
