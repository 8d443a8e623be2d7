using TorchSharp;

namespace HierTcn.Trainer.Tests;

/// <summary>A fact that needs a CUDA device visible to libtorch; skipped, visibly, where there is none.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!torch.cuda.is_available())
        {
            Skip = "no CUDA device visible to libtorch (the CUDA half of the evaluation path runs on a GPU machine only)";
        }
    }
}
