using Grpc.AspNetCore.Server.Model;
using Grpc.Health.V1;
using Grpc.Reflection;
using Grpc.Reflection.V1Alpha;
using HierTcn.Inference.Server.Internal;
using HierTcn.Inference.Server.Services;
using HierTcn.Inference.V1;
using HierTcn.Security.Server;
using HierTcn.StateStore;
using HierTcn.StateStore.Client;
using HierTcn.StateStore.Monitoring;
using Microsoft.Extensions.Options;
using Prometheus;

namespace HierTcn.Inference.Server.Extensions;

/// <summary>Registrations of the recommendation server.</summary>
public static class RecommenderServerExtensions
{
    /// <summary>The methods that write (the Write role when authorization is on); the rest read.</summary>
    public static readonly IReadOnlyList<string> WriteMethods =
        [.. new[] { "ObserveEvents", "ObserveEventStream", "EndSession", "Backfill", "CountClicks" }.Select(m => "/hiertcn.inference.v1.Recommender/" + m)];

    /// <summary>Binds and validates the options (sections "Recommender", "RecommenderServer", "StateStore" or
    /// "StateStoreClient" or "StateStoreClient:Resp" by mode, and "Tls", "Auth", "RateLimits" for the security layer), registers the engine
    /// host, the state store's own metrics in embedded mode, gRPC with the message size cap (the Recommender's methods bound so that undecodable request bytes answer
    /// INVALID_ARGUMENT), health checks, reflection when enabled and the metrics endpoint.
    /// Kestrel endpoints speak HTTP/2 only, over TLS when a certificate is configured.</summary>
    public static WebApplicationBuilder AddRecommenderServer(this WebApplicationBuilder builder)
    {
        builder.AddServerSecurity(new GrpcAccessPolicy(WriteMethods));
        var services = builder.Services;
        var server = builder.Configuration.GetSection(RecommenderServerOptions.Section).Get<RecommenderServerOptions>() ?? new RecommenderServerOptions();
        string? experimentProblem = server.ExperimentFile.Length > 0 ? LoadExperimentFile(builder.Configuration, server.ExperimentFile) : null;
        services.AddOptions<RecommenderOptions>().BindConfiguration("Recommender").ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecommenderOptions>>(new ListValidator<RecommenderOptions>("Recommender", o => o.Validate()));
        services.AddOptions<RecommenderServerOptions>().BindConfiguration(RecommenderServerOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RecommenderServerOptions>>(new ListValidator<RecommenderServerOptions>("",
            o => experimentProblem is null ? o.Validate() : [.. o.Validate(), experimentProblem]));
        if (server.StateStoreMode == "Remote")
        {
            services.AddOptions<RemoteStateStoreOptions>().BindConfiguration("StateStoreClient").ValidateOnStart();
            services.AddSingleton<IValidateOptions<RemoteStateStoreOptions>>(new ListValidator<RemoteStateStoreOptions>("StateStoreClient", o => o.Validate()));
        }
        else if (server.StateStoreMode == "Resp")
        {
            services.AddOptions<RespStateStoreOptions>().BindConfiguration("StateStoreClient:Resp").ValidateOnStart();
            services.AddSingleton<IValidateOptions<RespStateStoreOptions>>(new ListValidator<RespStateStoreOptions>("StateStoreClient:Resp", o => o.Validate()));
        }
        else
        {
            services.AddOptions<StateStoreOptions>().BindConfiguration("StateStore").ValidateOnStart();
            services.AddSingleton<IValidateOptions<StateStoreOptions>>(new ListValidator<StateStoreOptions>("StateStore", o => o.Validate()));
            // The embedded store's metrics, defined where the shard's are, on this server's /metrics.
            services.AddSingleton(_ => new StateStoreMetrics(Metrics.DefaultRegistry));
        }
        SuppressNonConformingDefaults();
        services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = server.MaxMessageBytes);
        services.AddScoped<RecommenderService>();
        services.AddSingleton<IServiceMethodProvider<RecommenderEndpoint>, RecommenderMethodProvider>();
        if (server.EnableReflection)
        {
            // The endpoint type is not a generated service base, so reflection is told the descriptors.
            services.AddSingleton(new ReflectionServiceImpl(Recommender.Descriptor, Health.Descriptor, ServerReflection.Descriptor));
            services.AddGrpcReflection();
        }
        services.AddSingleton<PrometheusMetrics>();
        services.AddSingleton<ISecurityMetrics>(sp => sp.GetRequiredService<PrometheusMetrics>());
        services.AddSingleton<EventLimits>();
        services.AddSingleton<EngineHost>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineHost>());
        services.AddSingleton<ExperimentApplier>();
        services.AddHostedService<ExperimentFileWatcher>();
        services.AddHostedService<ExperimentConfigMapWatcher>();
        services.AddGrpcHealthChecks().AddCheck<EngineHealthCheck>("recommender");
        if (server.MetricsPort > 0)
            services.AddMetricServer(metrics => { metrics.Hostname = server.MetricsHostname; metrics.Port = (ushort)server.MetricsPort; });
        return builder;
    }

    /// <summary>Adds the security middleware, maps the Recommender and health services, and reflection when
    /// RecommenderServer:EnableReflection is set.</summary>
    public static WebApplication MapRecommenderServer(this WebApplication app)
    {
        app.UseServerSecurity();
        app.MapGrpcService<RecommenderEndpoint>();
        app.MapGrpcHealthChecksService();
        if (app.Configuration.GetSection(RecommenderServerOptions.Section).Get<RecommenderServerOptions>()?.EnableReflection == true)
            app.MapGrpcReflectionService();
        return app;
    }

    /// <summary>The running engine (after the host started): for hot swap, backfill and tests.</summary>
    public static RecommenderEngine GetRecommenderEngine(this IServiceProvider services) => services.GetRequiredService<EngineHost>().Engine;

    /// <summary>Runs the server; a configuration or model problem at start is printed as one clear message (no stack
    /// trace) and exits with code 2.</summary>
    public static async Task<int> RunRecommenderServerAsync(this WebApplication app)
    {
        try
        {
            await app.RunAsync().ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (IsStartProblem(e))
        {
            await Console.Error.WriteLineAsync($"hiertcn-inference: cannot start: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(IsStartProblem))
        {
            // Several option sections invalid at once (for example a bad experiment file and, so, no model arms).
            await Console.Error.WriteLineAsync($"hiertcn-inference: cannot start: {string.Join("; ", e.InnerExceptions.Select(x => x.Message))}")
                .ConfigureAwait(false);
            return 2;
        }
    }

    private static bool IsStartProblem(Exception e) =>
        e is OptionsValidationException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException;

    /// <summary>Puts the experiment file's salt and arms into configuration (so they are validated and bound like any
    /// setting); null, or the problem that stops the start.</summary>
    private static string? LoadExperimentFile(ConfigurationManager configuration, string path)
    {
        string prefix = $"{RecommenderServerOptions.Section}:ExperimentFile: {path}: ";
        if (!string.IsNullOrEmpty(configuration["Recommender:Models:0:Version"]))
            return prefix + "Recommender:Models is set too; give the model arms in one place (the experiment file)";
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return prefix + e.Message;
        }
        var experiment = ExperimentFile.Parse(text, out string? error);
        if (experiment is null)
            return prefix + error;
        configuration.AddInMemoryCollection(experiment.ToConfiguration());
        return null;
    }

    private static int s_defaultsSuppressed;

    /// <summary>prometheus-net's .NET event counter and meter adapters export names promtool rejects (a gauge
    /// ending in _total or _count); the service's own metrics and the process metrics stay.</summary>
    private static void SuppressNonConformingDefaults()
    {
        if (Interlocked.Exchange(ref s_defaultsSuppressed, 1) == 0)
        {
            Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
            {
                SuppressEventCounters = true,
                SuppressMeters = true,
                SuppressDebugMetrics = true,
                SuppressProcessMetrics = false,
            });
        }
    }

    private sealed class ListValidator<T>(string section, Func<T, IReadOnlyList<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = validate(options);
            return errors.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(errors.Select(e => section.Length == 0 || e.StartsWith(section, StringComparison.Ordinal) ? e : $"{section}:{e}"));
        }
    }
}
