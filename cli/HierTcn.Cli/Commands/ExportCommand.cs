using System.CommandLine;
using HierTcn.Exporter;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn export</c>: a training run to a model bundle and its item snapshot (exporter/README.md).</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "The training run directory (./hiertcn train --out).", Required = true };
        var data = new Option<string>("--data") { Description = "The prepared dataset the run was trained on: item ids, session gap, features.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Bundles directory: the bundle is written to OUT/VERSION atomically.", Required = true };
        var snapshots = new Option<string?>("--snapshots") { Description = "Snapshot directory for the run's item snapshot (default OUT/snapshots)." };
        var version = new Option<string?>("--version") { Description = "Model version id (default MODEL-UTC timestamp); bundles are immutable." };
        var command = new Command("export", "Export a trained run: ONNX step graphs, start tokens and manifest as a model bundle, plus its item snapshot.")
        {
            run, data, output, snapshots, version,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var bundle = RunExport.Export(parse.GetValue(run)!, parse.GetValue(data)!, parse.GetValue(output)!, parse.GetValue(snapshots), parse.GetValue(version));
            var m = bundle.Manifest;
            Console.WriteLine($"{bundle.Directory}: {m.ModelType} bundle {m.ModelVersion}, d {m.Dims.ItemDim}, state {m.Dims.Layers} x {m.Dims.Hidden}"
                + (m.Dims.ReceptiveField is { } rf ? $", receptive field {rf} rows" : "") + $", opset {m.Opset}");
            foreach (var (role, graph) in m.Graphs)
            {
                Console.WriteLine($"  {role}: {graph.File} ({string.Join("; ", graph.Inputs)}) -> ({string.Join("; ", graph.Outputs)})");
            }
            if (m.ItemSnapshot is { } s)
            {
                Console.WriteLine($"  item snapshot {s.Version}: {s.Rows} x {s.Dimension}, sha256 {s.Checksum}");
            }
            return CommandRunner.ExitOk;
        }));
        return command;
    }
}
