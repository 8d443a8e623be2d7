namespace HierTcn.Formats.Bundles;

/// <summary>The model types a bundle can hold (the trainer's <c>--model</c> names).</summary>
public static class ModelTypes
{
    public const string HierTcn = "hiertcn";
    public const string HierGru = "hiergru";
    public const string Hrnn = "hrnn";
    public const string Tcn = "tcn";
    public const string Gru = "gru";

    public static IReadOnlyList<string> All { get; } = [HierTcn, HierGru, Hrnn, Tcn, Gru];
}
