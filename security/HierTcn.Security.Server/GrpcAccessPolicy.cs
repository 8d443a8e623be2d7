using HierTcn.Security;

namespace HierTcn.Security.Server;

/// <summary>Which role each gRPC method of a server needs, by request path ("/package.Service/Method"): the public
/// ones (health) none, the listed write methods <see cref="CallerRoles.Write"/>, every other one
/// <see cref="CallerRoles.Read"/> (so a method added later is at least read-protected).</summary>
public sealed class GrpcAccessPolicy(IEnumerable<string> writeMethods, IEnumerable<string>? publicMethods = null)
{
    /// <summary>The standard health service's methods.</summary>
    public static readonly IReadOnlyList<string> HealthMethods = ["/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"];

    private readonly HashSet<string> _write = new(writeMethods, StringComparer.Ordinal);
    private readonly HashSet<string> _public = new(publicMethods ?? HealthMethods, StringComparer.Ordinal);

    /// <summary>The role a call to <paramref name="path"/> needs; <see cref="CallerRoles.None"/> for a public method.</summary>
    public CallerRoles RequiredRole(string path) =>
        _public.Contains(path) ? CallerRoles.None : _write.Contains(path) ? CallerRoles.Write : CallerRoles.Read;

    /// <summary>True for the health service's methods (the only ones served on <see cref="ServerTlsOptions"/>'s
    /// cleartext health port).</summary>
    public static bool IsHealth(string path) => path.StartsWith("/grpc.health.v1.Health/", StringComparison.Ordinal);
}
