using HierTcn.Inference.Server.Extensions;
using HierTcn.StateStore;

// The embedded state store's recovery probe runs this program as a child (CheckpointProbe).
if (CheckpointProbe.IsInvoked(args))
    return CheckpointProbe.Run(args);
// The way out when the embedded store refuses to serve (damaged files); the refusal names this command.
if (RepairStateStoreCommand.IsInvoked(args))
    return await RepairStateStoreCommand.RunAsync(args);

// appsettings.json is read from beside the program, not from the directory it is started in: started elsewhere, the
// shipped settings (request logging off, the batching limits) would silently not apply.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddRecommenderServer();

var app = builder.Build();
app.MapRecommenderServer();
return await app.RunRecommenderServerAsync();
