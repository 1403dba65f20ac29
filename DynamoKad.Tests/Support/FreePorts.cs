using System.Net;
using System.Net.Sockets;

namespace DynamoKad.Tests.Support;

/// <summary>Loopback ports the OS reports free right now (a tiny race with other processes remains).</summary>
internal static class FreePorts
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        // Never hand the same port twice in one test run: a killed node keeps its ports for its restart.
        lock (Handed)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
