namespace HierTcn.Trainer.Models;

/// <summary>The trainable models: the paper's HierTCN and its neural baselines (section 4.2.2).</summary>
public enum ModelKind
{
    /// <summary>High-level GRU over sessions, low-level TCN inside a session (paper section 3.3).</summary>
    HierTcn,
    /// <summary>HierTCN with a GRU as the low level.</summary>
    HierGru,
    /// <summary>Quadrana et al. 2017: a session GRU started from a user GRU's state.</summary>
    Hrnn,
    /// <summary>One TCN over the user's whole sequence with a session-start indicator.</summary>
    Tcn,
    /// <summary>One GRU stack over the user's whole sequence with a session-start indicator.</summary>
    Gru,
}

/// <summary>Names of <see cref="ModelKind"/> as the CLI and run directories write them.</summary>
public static class ModelKinds
{
    public static string Name(ModelKind kind) => kind switch
    {
        ModelKind.HierTcn => "hiertcn",
        ModelKind.HierGru => "hiergru",
        ModelKind.Hrnn => "hrnn",
        ModelKind.Tcn => "tcn",
        ModelKind.Gru => "gru",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static ModelKind Parse(string name) => name.ToLowerInvariant() switch
    {
        "hiertcn" => ModelKind.HierTcn,
        "hiergru" => ModelKind.HierGru,
        "hrnn" => ModelKind.Hrnn,
        "tcn" => ModelKind.Tcn,
        "gru" => ModelKind.Gru,
        _ => throw new Data.UserInputException($"--model {name}: expected one of hiertcn, hiergru, hrnn, tcn, gru."),
    };

    public static bool IsHierarchical(ModelKind kind) => kind is ModelKind.HierTcn or ModelKind.HierGru or ModelKind.Hrnn;
}
