using HierTcn.Trainer.Models;
using TorchSharp.Modules;

namespace HierTcn.Trainer.Training.Internal;

/// <summary>
/// Writes and restores a run's checkpoint as one unit. Every epoch writes new, epoch-named weight and optimizer files
/// into <c>checkpoint/</c>, then <c>checkpoint/state.json</c> (renamed into place: the commit point) naming them, the
/// best epoch's weights and the epoch metrics; only then the run's <c>model.bin</c> and <c>epochs.json</c> are
/// refreshed and files no longer named are deleted. A process killed at any moment leaves either the previous
/// checkpoint or the new one whole; <see cref="RestoreOptimizer"/> also rewrites the run-level files from the checkpoint it
/// resumes, so they never disagree with it.
/// </summary>
internal sealed class Checkpoints(RunDirectory run, Action<string>? step = null)
{
    /// <summary>Commits the state after <paramref name="state"/>'s epoch; <paramref name="best"/>: this epoch's weights
    /// are the best so far.</summary>
    public RunDirectory.CheckpointState Write(RecommenderModel model, OptimizerHelper optimizer, RunDirectory.CheckpointState state,
        IReadOnlyList<EpochMetrics> epochs, bool best)
    {
        Directory.CreateDirectory(run.CheckpointDirectory);
        string modelName = $"model-e{state.Epoch}.bin";
        string optimizerName = $"optimizer-e{state.Epoch}.bin";
        step?.Invoke("model");
        RunDirectory.WriteAtomically(run.CheckpointFile(modelName), tmp => model.save(tmp));
        step?.Invoke("optimizer");
        RunDirectory.WriteAtomically(run.CheckpointFile(optimizerName), tmp => optimizer.save_state_dict(tmp));
        state = state with
        {
            Model = modelName,
            Optimizer = optimizerName,
            BestModel = best ? modelName : state.BestModel,
            Epochs = [.. epochs],
        };
        step?.Invoke("state");
        RunDirectory.Write(run.CheckpointStatePath, state);
        step?.Invoke("run files");
        RefreshRunFiles(state);
        step?.Invoke("cleanup");
        DeleteUnnamed(state);
        return state;
    }

    /// <summary>The committed checkpoint's weights into <paramref name="model"/>, which must still be on the CPU: libtorch
    /// on CUDA gave an optimizer built over the moved model parameters it no longer knew after loading into them
    /// (KeyNotFoundException in the optimizer's load, seen on an H200; bench/RESULTS.md), so the weights are loaded
    /// first, then the model moves, then the optimizer is built and <see cref="RestoreOptimizer"/> runs.</summary>
    public RunDirectory.CheckpointState RestoreModel(RecommenderModel model)
    {
        var state = RunDirectory.Read<RunDirectory.CheckpointState>(run.CheckpointStatePath);
        model.load(run.CheckpointFile(state.Model));
        return state;
    }

    /// <summary>The optimizer state of <paramref name="state"/> (from <see cref="RestoreModel"/>) into
    /// <paramref name="optimizer"/>; then makes the run-level files agree with the checkpoint.</summary>
    public RunDirectory.CheckpointState RestoreOptimizer(OptimizerHelper optimizer, RunDirectory.CheckpointState state)
    {
        optimizer.load_state_dict(run.CheckpointFile(state.Optimizer));
        RefreshRunFiles(state);
        DeleteUnnamed(state);
        return state;
    }

    private void RefreshRunFiles(RunDirectory.CheckpointState state)
    {
        if (state.BestModel is { } bestModel)
        {
            RunDirectory.WriteAtomically(run.ModelPath, tmp => File.Copy(run.CheckpointFile(bestModel), tmp, overwrite: true));
        }
        if (state.Epochs is { } epochs)
        {
            run.WriteEpochs(epochs);
        }
    }

    /// <summary>Removes what no committed state names: older epochs' files and temporaries of a killed write.</summary>
    private void DeleteUnnamed(RunDirectory.CheckpointState state)
    {
        var keep = new HashSet<string>(StringComparer.Ordinal) { "state.json", state.Model, state.Optimizer };
        if (state.BestModel is { } bestModel)
        {
            keep.Add(bestModel);
        }
        foreach (string file in Directory.EnumerateFiles(run.CheckpointDirectory))
        {
            if (!keep.Contains(Path.GetFileName(file)))
            {
                File.Delete(file);
            }
        }
    }
}
