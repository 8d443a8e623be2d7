using HierTcn.StateStore.Server.Extensions;

if (ReshardCommand.IsInvoked(args))
    return await ReshardCommand.RunAsync(args);
if (ProbeCommand.IsInvoked(args))
    return ProbeCommand.Run(args);
if (RepairCommand.IsInvoked(args))
    return await RepairCommand.RunAsync(args);

var builder = WebApplication.CreateBuilder(args);
if (!builder.ValidateStateStoreConfiguration(Console.Error))
    return 2;
builder.AddStateStoreServer();

var app = builder.Build();
app.MapStateStoreServer();
await app.RunAsync();
return 0;
