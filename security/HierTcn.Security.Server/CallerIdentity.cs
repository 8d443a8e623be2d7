namespace HierTcn.Security.Server;

/// <summary>Who made a call, as the security middleware established it: the token's short name
/// (<see cref="HierTcn.Security.BearerTokens.NameOf"/>) or the client certificate's name when authorization is on,
/// else the remote address. Used to partition rate limits and to name callers in logs.</summary>
public static class CallerIdentity
{
    internal const string ItemKey = "hiertcn.caller";

    /// <summary>The caller of <paramref name="context"/>'s call.</summary>
    public static string Of(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(ItemKey, out var name) && name is string s)
            return s;
        return "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }
}
