using HierTcn.Data.Dataset;
using HierTcn.Data.Evaluation;

namespace HierTcn.Data.Baselines;

/// <summary>The simple baselines by name, for the CLI and tests.</summary>
public static class BaselineModels
{
    /// <summary>"pop", "cooc" and "sknn".</summary>
    public static IReadOnlyList<string> Names { get; } = ["pop", "cooc", "sknn"];

    /// <summary>Fits baseline <paramref name="name"/> on the training split of <paramref name="data"/>.</summary>
    /// <exception cref="UserInputException">Unknown name, or a dataset without a training split.</exception>
    public static IRankingModel Fit(string name, PreparedDataset data, SessionKnnOptions? knn = null) => name switch
    {
        "pop" => PopularityModel.Fit(data),
        "cooc" => TransitionModel.Fit(data),
        "sknn" => SessionKnnModel.Fit(data, knn),
        _ => throw new UserInputException($"unknown baseline '{name}'; expected one of {string.Join(", ", Names)}"),
    };
}
