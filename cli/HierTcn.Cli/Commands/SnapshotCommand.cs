using System.CommandLine;
using HierTcn.Exporter;
using HierTcn.Formats.Bundles;
using HierTcn.Formats.Snapshots;
using HierTcn.Inference.Snapshots;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn snapshot build|verify</c>: item snapshots (formats/HierTcn.Formats/Snapshots).</summary>
internal static class SnapshotCommand
{
    public static Command Create()
    {
        var command = new Command("snapshot", "Item snapshots: the N x d item matrix and id map that serving memory-maps.");
        command.Subcommands.Add(Build());
        command.Subcommands.Add(Verify());
        return command;
    }

    private static Command Build()
    {
        var run = new Option<string?>("--run") { Description = "A training run: the snapshot holds its learned item vectors (needs --data)." };
        var data = new Option<string?>("--data") { Description = "The prepared dataset the run was trained on (item ids, and features in the feature setting)." };
        var features = new Option<string?>("--features") { Description = "An item feature file (item_id,f0..f{d-1}; CSV/TSV, plain or gzip): with --bundle, the items' features, embedded by the bundle's item projection; without, final item vectors from an external item model." };
        var bundle = new Option<string?>("--bundle") { Description = "A feature model's bundle directory (BUNDLES/VERSION): --features is embedded with its item projection graph on ONNX Runtime, new items included." };
        var output = new Option<string>("--out", "-o") { Description = "Snapshot directory: VERSION.snap is written there and CURRENT switched to it.", Required = true };
        var version = new Option<string?>("--version") { Description = "Snapshot version (file name); default items-UTC timestamp." };
        var command = new Command("build", "Build and publish an item snapshot from a run (--run, --data) or a feature file (--features).")
        {
            run, data, features, bundle, output, version,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string? runPath = parse.GetValue(run), featurePath = parse.GetValue(features);
            if ((runPath is null) == (featurePath is null))
            {
                throw new Data.UserInputException("snapshot build: give exactly one of --run RUN (with --data D) or --features F");
            }
            string name = parse.GetValue(version) ?? $"items-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            string dir = parse.GetValue(output)!;
            string? bundlePath = parse.GetValue(bundle);
            if (bundlePath is not null && featurePath is null)
            {
                throw new Data.UserInputException("snapshot build --bundle: --features F is required (the items to embed)");
            }
            string path = runPath is not null
                ? RunExport.PublishSnapshot(runPath, parse.GetValue(data) ?? throw new Data.UserInputException("snapshot build --run: --data D is required"), dir, name)
                : PublishFeatures(featurePath!, bundlePath, dir, name);
            Print(path);
            return CommandRunner.ExitOk;
        }));
        return command;
    }

    private static string PublishFeatures(string featurePath, string? bundlePath, string dir, string name)
    {
        var (ids, matrix, dim) = ItemFeatureFile.Read(featurePath);
        if (bundlePath is null)
        {
            return ItemSnapshotDirectory.Publish(dir, name, ids, matrix, dim);
        }
        try
        {
            return FeatureSnapshotBuilder.Publish(ModelBundle.Load(bundlePath), ids, matrix, dim, dir, name);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{featurePath}: {e.Message}", e);
        }
    }

    private static Command Verify()
    {
        var file = new Argument<string>("FILE") { Description = "A snapshot file (.snap), or a snapshot directory (checks its CURRENT)." };
        var command = new Command("verify", "Check a snapshot fully: header, sizes, id map and SHA-256.") { file };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            string path = parse.GetValue(file)!;
            Print(Directory.Exists(path) ? ItemSnapshotDirectory.ResolveCurrent(path) : path);
            return CommandRunner.ExitOk;
        }));
        return command;
    }

    private static void Print(string path)
    {
        var h = ItemSnapshot.Verify(path);
        Console.WriteLine($"{path}: ok: {h.Rows} items x {h.Dimension} float32, created {h.Created:u}, sha256 {h.Checksum}");
    }
}
