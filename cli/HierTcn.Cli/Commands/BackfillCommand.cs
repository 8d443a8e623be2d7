using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using Grpc.Net.Client;
using HierTcn.Data;
using HierTcn.Inference.V1;

namespace HierTcn.Cli.Commands;

/// <summary><c>hiertcn backfill</c>: seeds users' states under a new model version from another version's stored
/// states, through a running Recommender (its Backfill call), in chunks of 10,000 users.</summary>
internal static class BackfillCommand
{
    private const int Chunk = 10_000;

    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "Recommender address.", DefaultValueFactory = _ => "http://127.0.0.1:5090" };
        var from = new Option<string>("--from") { Description = "Source model version (its states are read).", Required = true };
        var to = new Option<string>("--to") { Description = "Target model version (states are written; existing ones are kept).", Required = true };
        var users = new Option<string>("--users-file") { Description = "File with one user id per line.", Required = true };
        var command = new Command("backfill", "Seed a new model version's user states from another version's stored open sessions (A/B rollouts).")
        {
            server, from, to, users,
        };
        command.SetAction(parse => CommandRunner.Run(() => Run(parse.GetValue(server)!, parse.GetValue(from)!, parse.GetValue(to)!,
            parse.GetValue(users)!)));
        return command;
    }

    private static int Run(string server, string from, string to, string usersFile)
    {
        var ids = ReadIds(usersFile);
        using var channel = GrpcChannel.ForAddress(server);
        var client = new Recommender.RecommenderClient(channel);
        int copied = 0, missing = 0, present = 0;
        for (int i = 0; i < ids.Count; i += Chunk)
        {
            var request = new BackfillRequest { SourceVersion = from, TargetVersion = to };
            request.UserIds.AddRange(ids.Skip(i).Take(Chunk));
            try
            {
                var r = client.Backfill(request);
                copied += r.Copied;
                missing += r.MissingSource;
                present += r.AlreadyPresent;
            }
            catch (RpcException e)
            {
                throw new UserInputException($"{server}: {e.StatusCode}: {e.Status.Detail} (after {i} of {ids.Count} users)");
            }
        }
        Console.WriteLine($"{ids.Count} users: {copied} copied from {from} to {to}, {missing} without a {from} state, {present} already had a {to} state");
        return CommandRunner.ExitOk;
    }

    private static List<long> ReadIds(string path)
    {
        var ids = new List<long>();
        int line = 0;
        foreach (string text in File.ReadLines(path))
        {
            line++;
            string t = text.Trim();
            if (t.Length == 0)
            {
                continue;
            }
            if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                throw new UserInputException($"{path}: line {line}: '{t}' is not a user id (a non-negative integer)");
            }
            ids.Add(id);
        }
        return ids;
    }
}
