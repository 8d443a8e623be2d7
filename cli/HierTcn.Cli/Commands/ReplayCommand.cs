using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using HierTcn.Data;
using HierTcn.Data.Dataset;
using HierTcn.Inference.Client;
using HierTcn.Inference.V1;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn replay</c>: replays held-back users' events through a running Recommender and prints what it
/// recommends at each user's last event (the quickstart's last step).</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Recommender address.", DefaultValueFactory = _ => "http://127.0.0.1:5090" };
        var data = new Option<string>("--data") { Description = "Prepared dataset directory whose users are replayed.", Required = true };
        var users = new Option<int>("--users") { Description = "Users replayed.", DefaultValueFactory = _ => 5 };
        var split = new Option<string>("--split") { Description = "Split the users come from.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("train", "validation", "test", "all");
        var k = new Option<int>("--k") { Description = "Items recommended per user.", DefaultValueFactory = _ => 10 };
        var version = new Option<string>("--model-version") { Description = "Force a model version (default: the A/B assignment).", DefaultValueFactory = _ => "" };
        var command = new Command("replay", "Replay users' events through a running Recommender (all but each user's last) and print its recommendations.")
        {
            server, data, users, split, k, version,
        };
        command.SetAction(parse => CommandRunner.Run(() => Run(parse.GetValue(server)!, parse.GetValue(data)!,
            new ReplayOptions { Users = parse.GetValue(users), Split = parse.GetValue(split)!, K = parse.GetValue(k), ModelVersion = parse.GetValue(version)! })));
        return command;
    }

    private static int Run(string server, string dataDir, ReplayOptions options)
    {
        if (options.Users < 1 || options.K < 1 || options.K > 1000)
            throw new UserInputException($"--users must be at least 1 and --k 1..1000; got {options.Users} and {options.K}");
        using var data = PreparedDataset.Open(dataDir);
        using var channel = GrpcChannel.ForAddress(server);
        var client = new Recommender.RecommenderClient(channel);
        IReadOnlyList<ReplayedUser> results;
        try
        {
            results = DatasetReplay.RunAsync(client, data, options).GetAwaiter().GetResult();
        }
        catch (RpcException e)
        {
            throw new UserInputException($"{server}: {e.StatusCode}: {e.Status.Detail}");
        }
        int hits = 0;
        foreach (var r in results)
        {
            hits += r.HeldOutRank > 0 ? 1 : 0;
            Console.WriteLine($"user {r.UserId} ({r.EventsObserved} events observed, model {r.Response.ModelVersion}"
                + $"{(r.Response.UnknownUser ? ", unknown" : "")}): next item {r.HeldOutItem} "
                + (r.HeldOutRank > 0 ? $"ranked {r.HeldOutRank}" : "not in the top " + options.K));
            Console.WriteLine("  " + string.Join("  ", r.Response.Items.Select(i => $"{i.ItemId} ({i.Score:F3})")));
        }
        Console.WriteLine($"{results.Count} users replayed; next item in the top {options.K} for {hits}");
        return CommandRunner.ExitOk;
    }
}
