using HierTcn.Data.Preparation;
using Spectre.Console;

namespace HierTcn.Cli.Commands;

/// <summary>Shows each reported stage as its own progress bar. Reports arrive on the working thread, in order.</summary>
internal sealed class StageProgress(ProgressContext context) : IProgress<PrepareProgress>
{
    private readonly Dictionary<string, ProgressTask> _tasks = [];
    private ProgressTask? _current;

    public void Report(PrepareProgress value)
    {
        if (!_tasks.TryGetValue(value.Stage, out var task))
        {
            _current?.Value(_current.MaxValue);
            task = context.AddTask(value.Stage, maxValue: 1.0);
            _tasks[value.Stage] = task;
        }
        _current = task;
        task.Value(Math.Clamp(value.Fraction, 0, 1));
    }

    /// <summary>Marks every bar done.</summary>
    public void Complete()
    {
        foreach (var task in _tasks.Values)
        {
            task.Value(task.MaxValue);
        }
    }
}
