using HierTcn.Inference.Server.Extensions;
using HierTcn.StateStore;

// The embedded state store's recovery probe runs this program as a child (CheckpointProbe).
if (CheckpointProbe.IsInvoked(args))
    return CheckpointProbe.Run(args);
// The way out when the embedded store refuses to serve (damaged files); the refusal names this command.
if (RepairStateStoreCommand.IsInvoked(args))
    return await RepairStateStoreCommand.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
builder.AddRecommenderServer();

var app = builder.Build();
app.MapRecommenderServer();
return await app.RunRecommenderServerAsync();
