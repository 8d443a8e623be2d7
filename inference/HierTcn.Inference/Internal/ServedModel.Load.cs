using System.Diagnostics.CodeAnalysis;
using HierTcn.Formats;
using HierTcn.Formats.Bundles;
using HierTcn.Inference.Execution.Internal;
using HierTcn.Inference.Popularity;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace HierTcn.Inference.Internal;

internal sealed partial class ServedModel
{
    /// <summary>Loads version <paramref name="version"/> and the snapshot <c>CURRENT</c> names in
    /// <paramref name="snapshotsDirectory"/>. <paramref name="clock"/> (default the system clock) is what the batcher
    /// compares deadlines with.
    /// <paramref name="clicks"/>: the engine's recent clicks, which a model with a recent-popularity prior reads when it
    /// scores (required for such a model).</summary>
    /// <exception cref="InvalidDataException">The bundle, a graph or the snapshot is unusable; the message says why.</exception>
    public static ServedModel Load(string bundlesDirectory, string version, string snapshotsDirectory, RecommenderOptions options,
        IRecommenderMetrics? metrics, ILogger log, TimeProvider? clock = null, RecentClicks? clicks = null)
    {
        var bundle = ModelBundle.Load(Path.Combine(bundlesDirectory, version));
        var m = bundle.Manifest;
        if (m.ModelVersion != version)
        {
            throw new InvalidDataException($"{bundle.Directory}: the manifest says model_version \"{m.ModelVersion}\", the directory is \"{version}\"");
        }
        if (!ServedTypes.Contains(m.ModelType))
        {
            throw new InvalidDataException($"{bundle.Directory}: model type \"{m.ModelType}\" is not served; the service serves "
                + $"{string.Join(" and ", ServedTypes)} bundles");
        }
        if (m.RecentPopPrior is { } prior && (clicks is null || prior.WindowMs > clicks.RetentionMs))
        {
            throw new InvalidDataException($"{bundle.Directory}: the model's recent-popularity prior counts clicks over {prior.WindowMs / 60_000.0} minutes; "
                + (clicks is null ? "the engine keeps no recent clicks (RecentClicksCapacity is 0)" : $"the engine keeps {clicks.RetentionMs / 60_000.0} (raise RecentClicksRetentionMinutes)"));
        }
        OrtGraph? embed = null, update = null, embedStep = null, score = null;
        SnapshotHandle? snapshot = null;
        try
        {
            string? fallback = LoadModelGraphs(bundle, options, ref embed, ref update, ref embedStep);
            if (fallback is not null)
            {
                EngineLog.CudaFallback(log, version, fallback);
            }
            // Scoring reads the memory-mapped item matrix in place, so it runs on the CPU whatever the embed graphs use
            // (on a GPU every batch would copy the whole catalogue to the device).
            score = OrtGraph.Load(bundle.GraphPath(GraphRoles.Score), m.Graphs[GraphRoles.Score], ScoreInputsOf(m.Dims), ScoreOutputs,
                OnCpu(options), out _);
            snapshot = OpenSnapshot(bundle, snapshotsDirectory);
            var model = new ServedModel(bundle, snapshotsDirectory, embed, update, embedStep, score, snapshot, options, metrics, log, clock,
                m.RecentPopPrior is null ? null : clicks);
            // The model owns the graphs and the snapshot from here: a failed warm-up retires it, which frees them.
            (embed, update, embedStep, score, snapshot) = (null, null, null, null, null);
            try
            {
                model.WarmUp(TimeSpan.FromMilliseconds(options.WarmupMilliseconds));
            }
            catch (OnnxRuntimeException e)
            {
                model.Retire();
                throw new InvalidDataException($"{bundle.Directory}: a graph failed on the warm-up batches: {e.Message}", e);
            }
            EngineLog.ModelLoaded(log, version, m.ModelType, m.Dims.ItemDim, m.Dims.Layers, m.Dims.Hidden,
                m.Dims.ReceptiveField?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unbounded", bundle.Directory,
                model.Provider, model.CurrentSnapshot.Version, model.CurrentSnapshot.Snapshot.Count);
            EngineLog.WarmedUp(log, version, model.WarmupRun.Batches, model.WarmupRun.Elapsed.TotalMilliseconds);
            if (m.RecentPopPrior is { } spec)
            {
                EngineLog.PriorCountsThisPodOnly(log, version, spec.Weight, spec.WindowMs / 60_000.0);
            }
            return model;
        }
        catch
        {
            embed?.Dispose();
            update?.Dispose();
            embedStep?.Dispose();
            score?.Dispose();
            snapshot?.Retire();
            throw;
        }
    }

    /// <summary>Loads the model's graphs (embed, update, and the step graph when served) on the configured provider,
    /// all on the same one: when CUDA takes some but not all, every one is loaded again on the CPU, so a batch never
    /// moves between devices halfway and the provider the metrics report is the one every model graph runs on.
    /// Returns why CUDA was not used when it was asked for and could not be; null otherwise.</summary>
    private static string? LoadModelGraphs(ModelBundle bundle, RecommenderOptions options, [NotNull] ref OrtGraph? embed, [NotNull] ref OrtGraph? update,
        ref OrtGraph? embedStep)
    {
        var m = bundle.Manifest;
        bool step = options.IncrementalEmbedding && bundle.HasGraph(GraphRoles.EmbedStep);
        string? reason = null;
        foreach (var o in new[] { options, OnCpu(options) })
        {
            embed = OrtGraph.Load(bundle.GraphPath(GraphRoles.Embed), m.Graphs[GraphRoles.Embed], EmbedInputs, EmbedOutputs, o, out string? f1);
            update = OrtGraph.Load(bundle.GraphPath(GraphRoles.Update), m.Graphs[GraphRoles.Update], UpdateInputsOf(m.Dims), UpdateOutputs, o, out string? f2);
            string? f3 = null;
            if (step)
            {
                embedStep = OrtGraph.Load(bundle.GraphPath(GraphRoles.EmbedStep), m.Graphs[GraphRoles.EmbedStep], EmbedStepInputs,
                    EmbedStepOutputs, o, out f3);
            }
            reason ??= f1 is not null ? $"{GraphRoles.Embed}: {f1}" : f2 is not null ? $"{GraphRoles.Update}: {f2}"
                : f3 is not null ? $"{GraphRoles.EmbedStep}: {f3}" : null;
            if (embed.Provider == update.Provider && (embedStep is null || embedStep.Provider == embed.Provider))
            {
                return reason;
            }
            embed.Dispose();
            update.Dispose();
            embedStep?.Dispose();
            (embed, update, embedStep) = (null, null, null);
        }
        throw new InvalidOperationException("unreachable: the CPU pass loads every graph on the CPU provider");
    }

    /// <summary>The session settings of <paramref name="options"/> (its thread counts) without CUDA.</summary>
    private static RecommenderOptions OnCpu(RecommenderOptions options) =>
        new() { IntraOpThreads = options.IntraOpThreads, InterOpThreads = options.InterOpThreads };
}
