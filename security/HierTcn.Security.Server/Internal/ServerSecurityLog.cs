namespace HierTcn.Security.Server.Internal;

/// <summary>Log events of the server security layer (stable ids 61x).</summary>
internal static partial class ServerSecurityLog
{
    [LoggerMessage(610, LogLevel.Warning, "INSECURE: TLS is off; gRPC on this server is cleartext (set Tls:CertificateFile and Tls:KeyFile). Acceptable for local runs only.")]
    public static partial void TlsOff(ILogger logger);

    [LoggerMessage(611, LogLevel.Warning, "INSECURE: authorization is off; anyone who reaches this server may read and write (set Auth:Enabled and a tokens file or client names). Acceptable for local runs only.")]
    public static partial void AuthOff(ILogger logger);

    [LoggerMessage(612, LogLevel.Information, "Security: TLS {Tls}, client certificates {ClientCertificates}, authorization {Auth}, request rate limit {RateLimit}")]
    public static partial void Summary(ILogger logger, string tls, string clientCertificates, string auth, string rateLimit);

    [LoggerMessage(613, LogLevel.Debug, "{Path} refused with {Code} for {Caller}: {Reason}")]
    public static partial void Refused(ILogger logger, string path, string code, string caller, string reason);

    [LoggerMessage(614, LogLevel.Debug, "{Path} refused by the request rate limit for {Caller}")]
    public static partial void RateLimited(ILogger logger, string path, string caller);
}
