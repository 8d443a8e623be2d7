using Grpc.Core;

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
}
