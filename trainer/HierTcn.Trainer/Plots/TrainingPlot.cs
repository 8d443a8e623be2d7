using HierTcn.Trainer.Training;

namespace HierTcn.Trainer.Plots;

/// <summary>The training curves of a run: training loss (left axis) and validation Recall@10 and MRR (right axis)
/// per epoch.</summary>
public static class TrainingPlot
{
    public static void Write(IReadOnlyList<EpochMetrics> epochs, string model, string path)
    {
        if (epochs.Count == 0)
        {
            return;
        }
        var plot = new ScottPlot.Plot();
        double[] x = [.. epochs.Select(e => (double)e.Epoch)];
        var loss = plot.Add.Scatter(x, [.. epochs.Select(e => e.TrainLoss)]);
        loss.LegendText = "training loss";
        var validated = epochs.Where(e => e.ValidationRecall10 is not null).ToList();
        if (validated.Count > 0)
        {
            double[] vx = [.. validated.Select(e => (double)e.Epoch)];
            var recall = plot.Add.Scatter(vx, [.. validated.Select(e => e.ValidationRecall10!.Value)]);
            recall.LegendText = "validation Recall@10";
            recall.Axes.YAxis = plot.Axes.Right;
            var mrr = plot.Add.Scatter(vx, [.. validated.Select(e => e.ValidationMrr ?? 0)]);
            mrr.LegendText = "validation MRR";
            mrr.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "validation metric";
        }
        plot.Title($"{model}: training");
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "loss";
        plot.ShowLegend();
        SaveAtomically(plot, path);
    }

    internal static void SaveAtomically(ScottPlot.Plot plot, string path)
    {
        string tmp = path + ".tmp.png";
        plot.SavePng(tmp, 900, 550);
        File.Move(tmp, path, overwrite: true);
    }
}
