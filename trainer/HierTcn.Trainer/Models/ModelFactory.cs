namespace HierTcn.Trainer.Models;

/// <summary>Builds a model of <see cref="ModelOptions.Kind"/>.</summary>
public static class ModelFactory
{
    public static RecommenderModel Create(ModelOptions options, ItemSource items) => options.Kind switch
    {
        ModelKind.HierTcn => new HierTcnModel(options, items),
        ModelKind.HierGru => new HierGruModel(options, items),
        ModelKind.Hrnn => new HrnnModel(options, items),
        ModelKind.Tcn => new TcnModel(options, items),
        ModelKind.Gru => new GruModel(options, items),
        _ => throw new ArgumentOutOfRangeException(nameof(options)),
    };
}
