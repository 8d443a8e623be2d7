using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace HierTcn.Inference.Server.Internal;

/// <summary>The event rate limits of <see cref="RecommenderServerOptions"/>: a token bucket of events per caller
/// (refilled every second) and a fixed one-minute window of events per user. Thread-safe.</summary>
internal sealed class EventLimits : IDisposable
{
    private readonly int _perClient;
    private readonly int _perUser;
    private readonly PartitionedRateLimiter<string>? _clients;
    private readonly PartitionedRateLimiter<long>? _users;

    public EventLimits(IOptions<RecommenderServerOptions> options)
    {
        _perClient = options.Value.EventsPerSecondPerClient;
        _perUser = options.Value.EventsPerUserPerMinute;
        if (_perClient > 0)
        {
            _clients = PartitionedRateLimiter.Create<string, string>(caller => RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = _perClient,
                TokensPerPeriod = _perClient,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
            }));
        }
        if (_perUser > 0)
        {
            _users = PartitionedRateLimiter.Create<long, long>(user => RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = _perUser,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
            }));
        }
    }

    /// <summary>Takes permits for <paramref name="events"/> sent by <paramref name="caller"/>. Returns null when they
    /// may be applied, else the limit that refuses them ("client_events" or "user_events") and a message. Permits
    /// taken before a refusal stay taken.</summary>
    public (string Limit, string Message)? TryAcquire(string caller, IReadOnlyList<ObservedEvent> events)
    {
        if (events.Count == 0)
            return null;
        if (_clients is not null && (events.Count > _perClient || !Acquired(_clients.AttemptAcquire(caller, events.Count))))
        {
            return ("client_events", $"event rate limit of this caller reached ({_perClient} events a second, " +
                $"RecommenderServer:EventsPerSecondPerClient; this call has {events.Count}); nothing was applied, retry with backoff");
        }
        if (_users is not null)
        {
            foreach (var (user, count) in events.CountBy(e => e.UserId))
            {
                if (count > _perUser || !Acquired(_users.AttemptAcquire(user, count)))
                {
                    return ("user_events", $"user {user} is over {_perUser} events a minute (RecommenderServer:EventsPerUserPerMinute); " +
                        "nothing was applied");
                }
            }
        }
        return null;
    }

    private static bool Acquired(RateLimitLease lease)
    {
        using (lease)
            return lease.IsAcquired;
    }

    public void Dispose()
    {
        _clients?.Dispose();
        _users?.Dispose();
    }
}
