using HierTcn.Inference.Server.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddRecommenderServer();

var app = builder.Build();
app.MapRecommenderServer();
return await app.RunRecommenderServerAsync();
