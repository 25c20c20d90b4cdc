using System.Net;
using System.Net.Sockets;

namespace Rekey.Testing;

/// <summary>Loopback ports for tests.</summary>
public static class Ports
{
    /// <summary>
    /// A loopback port that nothing listens on: a connection to it is refused, and a server may listen on it (until
    /// something else takes it).
    /// </summary>
    public static int Unused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
