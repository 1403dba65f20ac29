using System.Net;

namespace DynamoKad.Security;

/// <summary>
/// Without a cluster secret anyone who can reach a node could write replicas or inject faults, so such a node
/// listens only on loopback: a configured non-loopback address (e.g. 0.0.0.0) is replaced by the loopback
/// address of the same family, keeping the port.
/// </summary>
public static class LoopbackBinding
{
    /// <summary>The endpoint to bind: <paramref name="configured"/> itself when a secret is set or it is loopback already.</summary>
    public static IPEndPoint Restrict(IPEndPoint configured, bool secretConfigured)
    {
        if (secretConfigured || IPAddress.IsLoopback(configured.Address))
        {
            return configured;
        }

        var loopback = configured.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !configured.Address.IsIPv4MappedToIPv6
            ? IPAddress.IPv6Loopback
            : IPAddress.Loopback;
        return new IPEndPoint(loopback, configured.Port);
    }
}
