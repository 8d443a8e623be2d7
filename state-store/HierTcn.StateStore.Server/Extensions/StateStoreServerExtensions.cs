using HierTcn.Security;
using HierTcn.Security.Server;
using HierTcn.StateStore.Server.Internal;
using HierTcn.StateStore.Server.Services;
using Microsoft.Extensions.Options;
using Prometheus;

namespace HierTcn.StateStore.Server.Extensions;

/// <summary>Registrations of the state store shard.</summary>
public static class StateStoreServerExtensions
{
    /// <summary>The methods that write (the Write role when authorization is on); the rest read.</summary>
    public static readonly IReadOnlyList<string> WriteMethods =
        [.. new[] { "Put", "BatchPut", "CompareAndSwap", "Delete", "Apply" }.Select(m => "/hiertcn.statestore.v1.StateStore/" + m)];

    /// <summary>Binds and validates the options ("StateStore" for the engine, "StateStoreServer" for the server,
    /// "Tls", "Auth" and "RateLimits" for the security layer), registers the engine host, gRPC, health checks and
    /// the metrics endpoint. Kestrel endpoints speak HTTP/2 only, over TLS when a certificate is configured.</summary>
    public static WebApplicationBuilder AddStateStoreServer(this WebApplicationBuilder builder)
    {
        builder.AddServerSecurity(new GrpcAccessPolicy(WriteMethods));
        var services = builder.Services;
        services.AddOptions<StateStoreOptions>().BindConfiguration("StateStore").ValidateOnStart();
        services.AddSingleton<IValidateOptions<StateStoreOptions>>(new ListValidator<StateStoreOptions>(o => o.Validate()));
        services.AddOptions<StateStoreServerOptions>().BindConfiguration(StateStoreServerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StateStoreServerOptions>>(new ListValidator<StateStoreServerOptions>(o => o.Validate()));

        var serverOptions = builder.Configuration.GetSection(StateStoreServerOptions.Section).Get<StateStoreServerOptions>() ?? new StateStoreServerOptions();
        services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = serverOptions.MaxMessageBytes);
        var registry = Metrics.NewCustomRegistry();
        DotNetStats.Register(registry);
        services.AddSingleton(registry);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<ISecurityMetrics>(sp => sp.GetRequiredService<ServerMetrics>());
        services.AddSingleton<EngineHost>();
        services.AddScoped<StateStoreService>();
        services.AddSingleton<Grpc.AspNetCore.Server.Model.IServiceMethodProvider<StateStoreEndpoint>, StateStoreMethodProvider>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddGrpcHealthChecks().AddCheck<StoreHealthCheck>("state-store");
        if (serverOptions.MetricsPort > 0)
        {
            services.AddMetricServer(metrics =>
            {
                metrics.Hostname = serverOptions.MetricsHostname;
                metrics.Port = (ushort)serverOptions.MetricsPort;
                metrics.ConfigureExporter = exporter => exporter.Registry = registry;
            });
        }
        return builder;
    }

    /// <summary>Checks the "StateStore" and "StateStoreServer" sections before anything starts; writes every problem
    /// to <paramref name="errors"/> (one line each, naming the setting) and returns false when there are any.</summary>
    public static bool ValidateStateStoreConfiguration(this WebApplicationBuilder builder, TextWriter errors)
    {
        List<string> problems;
        try
        {
            var engine = builder.Configuration.GetSection("StateStore").Get<StateStoreOptions>() ?? new StateStoreOptions();
            var server = builder.Configuration.GetSection(StateStoreServerOptions.Section).Get<StateStoreServerOptions>() ?? new StateStoreServerOptions();
            var tls = builder.Configuration.GetSection(ServerTlsOptions.Section).Get<ServerTlsOptions>() ?? new ServerTlsOptions();
            var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
            var limits = builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
            problems = [.. engine.Validate().Select(p => "StateStore: " + p), .. server.Validate(), .. tls.Validate(), .. auth.Validate(tls), .. limits.Validate()];
        }
        catch (InvalidOperationException ex)
        {
            problems = [ex.Message];
        }
        foreach (var problem in problems)
            errors.WriteLine("invalid configuration: " + problem);
        return problems.Count == 0;
    }

    /// <summary>Adds the security middleware, maps the gRPC state store and health services.</summary>
    public static WebApplication MapStateStoreServer(this WebApplication app)
    {
        app.UseServerSecurity();
        app.MapGrpcService<StateStoreEndpoint>();
        app.MapGrpcHealthChecksService();
        return app;
    }

    private sealed class ListValidator<T>(Func<T, IReadOnlyList<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = validate(options);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
