using Microsoft.Extensions.Logging;

namespace HierTcn.Trainer.Training;

internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Description}")]
    public static partial void Model(ILogger logger, string description);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "resuming {Run} after epoch {Epoch}")]
    public static partial void Resumed(ILogger logger, string run, int epoch);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information,
        Message = "epoch {Epoch}: loss {Loss:F4}, {EventsPerSecond:F0} events/s, validation Recall@10 {Recall10:F4}{Best}")]
    private static partial void EpochCore(ILogger logger, int epoch, double loss, double eventsPerSecond, double recall10, string best);

    public static void Epoch(ILogger logger, int epoch, double loss, double eventsPerSecond, double recall10, bool best) =>
        EpochCore(logger, epoch, loss, eventsPerSecond, recall10, best ? " (best)" : "");
}
