namespace HierTcn.Exporter.Internal;

/// <summary>A GRU stack's sizes, read from its weights: layers, input size of layer 0, hidden size.</summary>
internal sealed record GruShape(int Layers, int Input, int Hidden)
{
    public static GruShape FromWeights(ModelWeights w, string prefix)
    {
        int layers = 0;
        while (w.Contains($"{prefix}.layers.{layers}.weight_ih"))
        {
            layers++;
        }
        if (layers == 0)
        {
            throw new InvalidDataException($"weight {prefix}.layers.0.weight_ih is missing: the run has no GRU stack \"{prefix}\"");
        }
        var wih = w.Get($"{prefix}.layers.0.weight_ih", -1, -1);
        return new GruShape(layers, wih.Shape[1], wih.Shape[0] / 3);
    }
}
