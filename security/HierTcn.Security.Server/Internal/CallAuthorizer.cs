using HierTcn.Security;
using Microsoft.Extensions.Options;

namespace HierTcn.Security.Server.Internal;

/// <summary>Middleware: on the cleartext health port only health is served; with authorization on, every call
/// other than a public one must carry a known bearer token or a trusted client certificate whose roles include the
/// method's (<see cref="GrpcAccessPolicy"/>). Refusals end the call before its request is read and are counted.</summary>
internal sealed class CallAuthorizer(RequestDelegate next, ServerCredentials credentials, GrpcAccessPolicy policy, IOptions<ServerTlsOptions> tls,
    ISecurityMetrics? metrics, ILogger<CallAuthorizer> logger)
{
    private readonly int _healthPort = tls.Value.Enabled ? tls.Value.HealthPort : 0;

    public async Task InvokeAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "";
        if (_healthPort > 0 && context.Connection.LocalPort == _healthPort && !GrpcAccessPolicy.IsHealth(path))
        {
            await GrpcRefusal.WriteAsync(context, GrpcRefusal.Unimplemented, "only health is served on the cleartext health port").ConfigureAwait(false);
            return;
        }
        var required = policy.RequiredRole(path);
        if (!credentials.AuthEnabled || required == CallerRoles.None)
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        var (roles, name, problem) = Authenticate(context);
        if (problem is not null)
        {
            await RefuseAsync(context, path, GrpcRefusal.Unauthenticated, "Unauthenticated", name, problem).ConfigureAwait(false);
            return;
        }
        if ((roles & required) == 0)
        {
            await RefuseAsync(context, path, GrpcRefusal.PermissionDenied, "PermissionDenied", name,
                $"{name} holds role(s) {roles}; {path} needs {required}").ConfigureAwait(false);
            return;
        }
        context.Items[CallerIdentity.ItemKey] = name;
        await next(context).ConfigureAwait(false);
    }

    private (CallerRoles Roles, string Name, string? Problem) Authenticate(HttpContext context)
    {
        string authorization = context.Request.Headers.Authorization.ToString();
        var certificate = context.Connection.ClientCertificate;
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return (CallerRoles.None, "unknown", "the authorization header is not 'Bearer TOKEN'");
            string token = authorization["Bearer ".Length..].Trim();
            var roles = credentials.RolesOfToken(token);
            string name = BearerTokens.NameOf(token);
            if (roles == CallerRoles.None)
                return (roles, name, "the bearer token is not known");
            // A certificate on the same connection adds its roles when it is trusted.
            if (certificate is not null && credentials.AsksClientCertificates)
            {
                var (certRoles, _, certProblem) = credentials.RolesOfCertificate(certificate);
                if (certProblem is null)
                    roles |= certRoles;
            }
            return (roles, name, null);
        }
        if (certificate is not null)
            return credentials.RolesOfCertificate(certificate);
        return (CallerRoles.None, "ip:" + context.Connection.RemoteIpAddress, "no credentials: send a bearer token or a client certificate");
    }

    private Task RefuseAsync(HttpContext context, string path, int code, string codeName, string caller, string reason)
    {
        metrics?.Refused(MethodOf(path), codeName);
        ServerSecurityLog.Refused(logger, path, codeName, caller, reason);
        return GrpcRefusal.WriteAsync(context, code, reason);
    }

    /// <summary>The method name of a gRPC path, or "other" (a metric label must not take arbitrary values).</summary>
    internal static string MethodOf(string path)
    {
        int slash = path.LastIndexOf('/');
        string method = slash >= 0 ? path[(slash + 1)..] : path;
        return method.Length is > 0 and <= 64 && method.All(char.IsAsciiLetterOrDigit) ? method : "other";
    }
}
