using TorchSharp;

namespace HierTcn.Exporter;

/// <summary>Copies a TorchSharp model's state dict into <see cref="ModelWeights"/> (float32, CPU, row-major).</summary>
public static class TorchWeights
{
    public static ModelWeights From(torch.nn.Module model)
    {
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in model.state_dict())
        {
            using var scope = torch.NewDisposeScope();
            var cpu = tensor.detach().cpu().to(torch.float32).contiguous();
            tensors[name] = new WeightTensor([.. cpu.shape.Select(s => checked((int)s))], cpu.data<float>().ToArray());
        }
        return new ModelWeights(tensors);
    }
}
