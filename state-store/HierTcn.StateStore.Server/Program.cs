using HierTcn.StateStore.Server.Extensions;

if (ReshardCommand.IsInvoked(args))
    return await ReshardCommand.RunAsync(args);
if (ProbeCommand.IsInvoked(args))
    return ProbeCommand.Run(args);
if (RepairCommand.IsInvoked(args))
    return await RepairCommand.RunAsync(args);

// appsettings.json is read from beside the program, not from the directory it is started in: started elsewhere, the
// shipped settings (request logging off) would silently not apply.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
if (!builder.ValidateStateStoreConfiguration(Console.Error))
    return 2;
builder.AddStateStoreServer();

var app = builder.Build();
app.MapStateStoreServer();
await app.RunAsync();
return 0;
