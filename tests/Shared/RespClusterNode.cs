using System.Globalization;

namespace HierTcn.Tests.Shared;

/// <summary>One line of CLUSTER NODES: a node as another node (or itself) sees it.</summary>
/// <param name="Endpoint">host:port (the cluster bus port and announced host name dropped).</param>
/// <param name="PrimaryId">For a replica, the id of its primary; null for a primary.</param>
/// <param name="Failing">Flagged <c>fail</c> or <c>fail?</c> by the node that answered.</param>
/// <param name="Slots">Slot ranges it serves (first, last), migrating/importing markers left out.</param>
public sealed record RespClusterNode(string Id, string Endpoint, bool IsPrimary, string? PrimaryId, bool Failing, bool Connected,
    IReadOnlyList<(int First, int Last)> Slots)
{
    public bool Owns(int slot) => Slots.Any(r => r.First <= slot && slot <= r.Last);

    public int SlotCount => Slots.Sum(r => r.Last - r.First + 1);

    public static IReadOnlyList<RespClusterNode> Parse(string clusterNodes)
    {
        var nodes = new List<RespClusterNode>();
        foreach (string line in clusterNodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8)
                continue;
            string address = f[1].Split('@', ',')[0];
            var flags = f[2].Split(',');
            var slots = new List<(int, int)>();
            foreach (string range in f.Skip(8).Where(r => !r.StartsWith('[')))
            {
                var ends = range.Split('-');
                int first = int.Parse(ends[0], CultureInfo.InvariantCulture);
                slots.Add((first, ends.Length > 1 ? int.Parse(ends[1], CultureInfo.InvariantCulture) : first));
            }
            nodes.Add(new RespClusterNode(f[0], address, flags.Contains("master"), f[3] == "-" ? null : f[3],
                flags.Contains("fail") || flags.Contains("fail?"), f[7] == "connected", slots));
        }
        return nodes;
    }
}
