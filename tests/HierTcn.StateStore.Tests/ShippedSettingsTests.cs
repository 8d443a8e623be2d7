using HierTcn.StateStore.Client;
using HierTcn.StateStore.Tests.Support;

namespace HierTcn.StateStore.Tests;

/// <summary>The shard server as a deployment runs it: from another working directory, with the settings it ships.</summary>
public sealed class ShippedSettingsTests
{
    /// <summary>The appsettings.json beside the program applies (Microsoft.AspNetCore and Grpc at Warning): served
    /// requests write no line each. The server shipped none before this test, so ASP.NET Core's defaults logged
    /// every Get and Put at Information ("Request starting", "Request finished"), a console write per state read on
    /// the serving path; the tests never saw it because they start the server with their own Warning levels.</summary>
    [Fact]
    public async Task ServerProcess_StartedElsewhere_WritesNoLinePerRequest()
    {
        string data = Directory.CreateTempSubdirectory("hiertcn-shipped-data-").FullName;
        string work = Directory.CreateTempSubdirectory("hiertcn-shipped-cwd-").FullName;
        int port = ServerProcess.FreePort();
        try
        {
            using var server = ServerProcess.StartWithShippedLogging(port, data, work);
            await using var store = new RemoteStateStore(new RemoteStateStoreOptions { Shards = [$"http://127.0.0.1:{port}"] });
            await server.WaitReadyAsync(store);
            for (int user = 1; user <= 20; user++)
                Assert.Equal(StoreStatus.NotFound, (await store.GetAsync(new StateKey("probe", user))).Status);
            await Task.Delay(500);                                  // the console output of the last calls reaches us
            string log = server.OutputTail;
            Assert.DoesNotContain("Request starting", log);
            Assert.Contains("Now listening on", log);               // Microsoft.Hosting.Lifetime at Information: logging is on
        }
        finally
        {
            Directory.Delete(data, recursive: true);
            Directory.Delete(work, recursive: true);
        }
    }
}
