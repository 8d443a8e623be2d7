using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using HierTcn.Security;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace HierTcn.StateStore.Client.Internal;

/// <summary>The StackExchange.Redis configuration of a <see cref="RespStateStoreOptions"/>.</summary>
internal static class RespConnection
{
    /// <exception cref="InvalidDataException">A certificate, key or password file cannot be read or parsed.</exception>
    public static ConfigurationOptions Configure(RespStateStoreOptions options, ILoggerFactory? loggerFactory)
    {
        var config = new ConfigurationOptions
        {
            // Not reachable at start: the store opens anyway and answers Unavailable until the cluster is there.
            AbortOnConnectFail = false,
            ConnectTimeout = Milliseconds(options.ConnectTimeout),
            AsyncTimeout = Milliseconds(options.CallTimeout),
            SyncTimeout = Milliseconds(options.CallTimeout),
            ConnectRetry = 3,
            Ssl = options.Tls,
            LoggerFactory = loggerFactory,
            ClientName = "hiertcn-state",
        };
        foreach (string endpoint in options.Endpoints)
            config.EndPoints.Add(endpoint);
        if (options.PasswordFile.Length > 0)
        {
            config.Password = ReadFirstLine(options.PasswordFile);
            if (options.User.Length > 0)
                config.User = options.User;
        }
        var security = options.Security;
        if (options.Tls && security.CaFile.Length > 0)
        {
            var trust = Load(security.CaFile, () => TrustedCertificates.Parse(File.ReadAllBytes(security.CaFile)));
            config.CertificateValidation += (_, certificate, chain, errors) => trust.CheckServer(certificate, chain, errors);
        }
        if (options.Tls && security.CertificateFile.Length > 0)
        {
            var certificate = Load(security.CertificateFile, () => PemCertificate.WithKey(File.ReadAllBytes(security.CertificateFile), File.ReadAllBytes(security.KeyFile)));
            config.CertificateSelection += (_, _, _, _, _) => certificate;
        }
        return config;
    }

    private static T Load<T>(string path, Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidDataException($"cannot read '{path}': {ex.Message}", ex);
        }
    }

    private static string ReadFirstLine(string path)
    {
        string? line = Load(path, () => File.ReadAllLines(path)).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
        return line ?? throw new InvalidDataException($"the password file '{path}' is empty");
    }

    private static int Milliseconds(TimeSpan span) => (int)Math.Clamp(span.TotalMilliseconds, 1, int.MaxValue);
}
