using System.Net;
using System.Net.Sockets;

namespace DynamoKad.Hosting;

/// <summary>
/// Expands seeds given by DNS name into one seed per address the name resolves to, so a single seed such as a
/// Kubernetes headless service (<c>dynamokad.default.svc.cluster.local:7000</c>, one A record per pod) reaches
/// every node behind it rather than whichever address a connection happens to pick. Seeds given by IP address
/// (or as localhost) stay as they are; a name that does not resolve (yet) stays a name and is tried again at the next join.
/// </summary>
public static class SeedResolver
{
    public static async Task<IReadOnlyList<string>> ExpandAsync(IEnumerable<string> seeds, CancellationToken cancellationToken)
    {
        var result = new List<string>();
        foreach (var seed in seeds.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim().TrimEnd('/')))
        {
            var candidate = seed.Contains("://", StringComparison.Ordinal) ? seed : "http://" + seed;
            // localhost stays a name: its v4 and v6 addresses are one machine, not several nodes.
            if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || uri.HostNameType != UriHostNameType.Dns || uri.IsLoopback)
            {
                result.Add(seed);
                continue;
            }

            IPAddress[] addresses;
            try
            {
                addresses = await Dns.GetHostAddressesAsync(uri.DnsSafeHost, cancellationToken);
            }
            catch (SocketException)
            {
                addresses = [];
            }

            var usable = addresses
                .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Select(a => a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a)
                .Distinct()
                .ToList();
            if (usable.Count == 0)
            {
                result.Add(seed);
                continue;
            }

            foreach (var address in usable)
            {
                var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
                result.Add($"{uri.Scheme}://{host}:{uri.Port}");
            }
        }

        return [.. result.Distinct(StringComparer.OrdinalIgnoreCase)];
    }
}
