using Grpc.Core;
using HierTcn.Inference.V1;

namespace HierTcn.Fleet.Tests.Support;

/// <summary>What a well-behaved caller does on a machine shared by many processes: retry a shed or late call.</summary>
public static class Calls
{
    /// <summary>Runs <paramref name="call"/>, retrying DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED and UNAVAILABLE up to five
    /// times with a growing pause. Only for calls that are safe to repeat (Recommend; ObserveEvents, whose events
    /// apply once by id).</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (RpcException e) when (attempt < 6 && e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Unavailable)
            {
                await Task.Delay(200 * attempt);
            }
        }
    }

    /// <summary>Runs <paramref name="ask"/> (a Recommend) again while its answer is degraded (the state store not reached
    /// in time, ranked as a cold start, which says nothing about what the store holds), up to 20 more times 250 ms
    /// apart; returns the last answer, which the caller checks.</summary>
    public static async Task<RecommendResponse> UntilReadFromStoreAsync(Func<Task<RecommendResponse>> ask)
    {
        var reply = await ask();
        for (int attempt = 0; reply.Degraded && attempt < 20; attempt++)
        {
            await Task.Delay(250);
            reply = await ask();
        }
        return reply;
    }
}
