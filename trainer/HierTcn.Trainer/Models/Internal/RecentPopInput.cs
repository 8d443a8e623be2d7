using HierTcn.Data.Baselines;
using HierTcn.Data.Dataset;
using static TorchSharp.torch;

namespace HierTcn.Trainer.Models.Internal;

/// <summary>
/// The recent-popularity prior's term for a batch of events, as the trainer's loss and the evaluation both add it:
/// each event's training-user clicks of the window before it (<see cref="RecentPopularityModel.WindowCounts"/>), through
/// the model's w log(1 + c). The counts are fitted once per dataset. Not thread-safe: one per trainer or evaluator.
/// </summary>
internal sealed class RecentPopInput
{
    private RecentPopularityModel? _counts;
    private PreparedDataset? _data;

    /// <summary>w log(1 + c) [events.Length, N] on <paramref name="device"/> for <paramref name="events"/> (global event
    /// indices of <paramref name="data"/>).</summary>
    public Tensor Prior(RecommenderModel model, PreparedDataset data, ReadOnlySpan<int> events, Device device)
    {
        if (!ReferenceEquals(_data, data))
        {
            _counts = RecentPopularityModel.Fit(data);
            _data = data;
        }
        var counts = _counts!.WindowCounts(data, events);
        return model.RecentPopPrior(tensor(counts, [events.Length, data.ItemCount]).to(device))
            ?? throw new InvalidOperationException("the model was not built with the recent-popularity prior");
    }
}
