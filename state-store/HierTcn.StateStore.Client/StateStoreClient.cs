using Microsoft.Extensions.Logging;

namespace HierTcn.StateStore.Client;

/// <summary>Opens the <see cref="IStateStore"/> that <see cref="StateStoreClientOptions"/> select.</summary>
public static class StateStoreClient
{
    /// <summary>Opens an embedded store (recovering its directory), or connects to remote shards or a RESP cluster.</summary>
    /// <exception cref="ArgumentException">The settings of the selected mode are invalid; the message lists every
    /// problem.</exception>
    public static async Task<IStateStore> OpenAsync(StateStoreClientOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException("invalid state store client options: " + string.Join("; ", errors), nameof(options));
        return options.Mode switch
        {
            StateStoreMode.Remote => new RemoteStateStore(options.Remote),
            StateStoreMode.Resp => await RespStateStore.ConnectAsync(options.Resp, loggerFactory, cancellationToken).ConfigureAwait(false),
            _ => await EmbeddedStateStore.OpenAsync(options.Embedded, loggerFactory, cancellationToken).ConfigureAwait(false),
        };
    }
}
