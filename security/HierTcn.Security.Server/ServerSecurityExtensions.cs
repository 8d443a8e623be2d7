using System.Threading.RateLimiting;
using HierTcn.Security;
using HierTcn.Security.Server.Internal;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace HierTcn.Security.Server;

/// <summary>Registrations of the security layer a gRPC server shares: TLS (section "Tls",
/// <see cref="ServerTlsOptions"/>), authorization ("Auth", <see cref="AuthOptions"/>), per-client request rate
/// limits ("RateLimits", <see cref="RateLimitOptions"/>).</summary>
public static class ServerSecurityExtensions
{
    /// <summary>Binds and validates the three sections; makes every Kestrel endpoint HTTP/2 and, when TLS is
    /// configured, TLS with the reloaded certificate (the health port excepted), asking for client certificates when
    /// client authorities are configured. <paramref name="policy"/> says which methods write.</summary>
    public static WebApplicationBuilder AddServerSecurity(this WebApplicationBuilder builder, GrpcAccessPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(policy);
        var services = builder.Services;
        var tls = builder.Configuration.GetSection(ServerTlsOptions.Section).Get<ServerTlsOptions>() ?? new ServerTlsOptions();
        services.AddOptions<ServerTlsOptions>().BindConfiguration(ServerTlsOptions.Section).ValidateOnStart();
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServerTlsOptions>>(new Validator<ServerTlsOptions>(o => o.Validate()));
        services.AddSingleton<IValidateOptions<AuthOptions>>(sp => new Validator<AuthOptions>(o => o.Validate(
            sp.GetRequiredService<IOptions<ServerTlsOptions>>().Value)));
        services.AddSingleton<IValidateOptions<RateLimitOptions>>(new Validator<RateLimitOptions>(o => o.Validate()));
        services.AddSingleton(policy);
        services.AddSingleton<ServerCredentials>();
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(RequestPartition);
            limiter.OnRejected = (rejected, _) =>
            {
                var context = rejected.HttpContext;
                string path = context.Request.Path.Value ?? "";
                context.RequestServices.GetService<ISecurityMetrics>()?.RateLimited(CallAuthorizer.MethodOf(path), "requests");
                ServerSecurityLog.RateLimited(context.RequestServices.GetRequiredService<ILogger<CallAuthorizer>>(), path, CallerIdentity.Of(context));
                return new ValueTask(GrpcRefusal.WriteAsync(context, GrpcRefusal.ResourceExhausted,
                    "request rate limit of this caller reached (RateLimits:RequestsPerSecond); retry with backoff"));
            };
        });
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (tls.Enabled && !(tls.HealthPort > 0 && listen.IPEndPoint?.Port == tls.HealthPort))
                listen.UseHttps(https => UseCredentials(https, listen.ApplicationServices.GetRequiredService<ServerCredentials>()));
        }));
        return builder;
    }

    /// <summary>Adds the authorization and rate-limit middleware (before the gRPC endpoints run) and logs what is on;
    /// with TLS or authorization off it logs a warning saying the server is insecure.</summary>
    public static WebApplication UseServerSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var tls = app.Configuration.GetSection(ServerTlsOptions.Section).Get<ServerTlsOptions>() ?? new ServerTlsOptions();
        var auth = app.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var limits = app.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new RateLimitOptions();
        var logger = app.Services.GetRequiredService<ILogger<CallAuthorizer>>();
        ServerSecurityLog.Summary(logger, tls.Enabled ? "on" : "off", tls.ClientCaFile.Length > 0 ? "checked" : "not asked for",
            auth.Enabled ? "on" : "off", limits.RequestsPerSecond > 0 ? $"{limits.RequestsPerSecond}/s per caller" : "none");
        if (!tls.Enabled)
            ServerSecurityLog.TlsOff(logger);
        if (!auth.Enabled)
            ServerSecurityLog.AuthOff(logger);
        app.UseMiddleware<CallAuthorizer>();
        app.UseRateLimiter();
        return app;
    }

    private static void UseCredentials(HttpsConnectionAdapterOptions https, ServerCredentials credentials)
    {
        https.ServerCertificateSelector = (_, _) => credentials.Certificate;
        if (credentials.AsksClientCertificates)
        {
            // Any certificate completes the handshake; each call checks it against the client authorities, so an
            // untrusted one gets UNAUTHENTICATED (and is counted) instead of a broken connection.
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (_, _, _) => true;
        }
    }

    private static RateLimitPartition<string> RequestPartition(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        if (options.RequestsPerSecond == 0 || GrpcAccessPolicy.IsHealth(context.Request.Path.Value ?? ""))
            return RateLimitPartition.GetNoLimiter("");
        return RateLimitPartition.GetTokenBucketLimiter(CallerIdentity.Of(context), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.Burst > 0 ? options.Burst : options.RequestsPerSecond,
            TokensPerPeriod = options.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private sealed class Validator<T>(Func<T, IReadOnlyList<string>> validate) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = validate(options);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
