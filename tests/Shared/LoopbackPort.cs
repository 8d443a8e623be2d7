using System.Net;
using System.Net.Sockets;

namespace HierTcn.Tests.Shared;

/// <summary>
/// Ports for servers the tests start on 127.0.0.1 with a port given in advance (a child process, a metrics endpoint).
/// A port the kernel hands out for port 0 and the test then releases can be handed to the next bind to port 0 (another
/// test assembly's server, running in parallel) before the test's own server binds it: seen once as a metrics scrape
/// answered by some other server with HTTP 400. So the port is drawn at random from 10000-19999, below the kernel's
/// ephemeral range (32768-60999 by default; <c>/proc/sys/net/ipv4/ip_local_port_range</c>), where no bind to port 0 or
/// outgoing connection can land, and checked free; two tests can still draw the same port, once in thousands.
/// </summary>
internal static class LoopbackPort
{
    private const int First = 10000;
    private const int End = 20000;

    /// <summary>A port on 127.0.0.1 that is free now, outside the ephemeral range.</summary>
    public static int Free()
    {
        for (int attempt = 0; attempt < 500; attempt++)
        {
            int port = Random.Shared.Next(First, End);
            if (IsFree(port))
                return port;
        }
        throw new InvalidOperationException($"no free port on 127.0.0.1 in {First}-{End - 1} after 500 draws");
    }

    /// <summary>Whether a listener can bind <paramref name="port"/> on 127.0.0.1 now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
