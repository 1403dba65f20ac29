using System.Net;

namespace DynamoKad.Hosting;

/// <summary>Settings of one node (configuration section <c>DynamoKad:Node</c>).</summary>
public sealed class NodeOptions
{
    public const string SectionName = "DynamoKad:Node";

    /// <summary>Where the gRPC endpoint (HTTP/2 only, cleartext) listens: host:port.</summary>
    public string Listen { get; set; } = "127.0.0.1:7000";

    /// <summary>Where the HTTP/1.1 endpoint (health, JSON API, metrics) listens: host:port.</summary>
    public string Http { get; set; } = "127.0.0.1:7080";

    /// <summary>The node's data directory; defaults to <c>data/&lt;grpc port&gt;</c>.</summary>
    public string? DataDir { get; set; }

    /// <summary>The gRPC address peers and clients dial; defaults to <c>http://&lt;Listen&gt;</c>.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>A human name for the node (the Aspire resource name, e.g. node0).</summary>
    public string? Name { get; set; }

    /// <summary>How long a graceful shutdown may take to finish in-flight requests and flush.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 10;

    public IPEndPoint ListenEndPoint => ParseEndPoint(Listen, nameof(Listen));

    public IPEndPoint HttpEndPoint => ParseEndPoint(Http, nameof(Http));

    public string ResolvedDataDir =>
        string.IsNullOrWhiteSpace(DataDir)
            ? Path.Combine("data", ListenEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : DataDir;

    public string ResolvedAdvertisedAddress
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(AdvertisedAddress))
            {
                return AdvertisedAddress.TrimEnd('/');
            }

            var endpoint = ListenEndPoint;
            var host = endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any)
                ? Dns.GetHostName()
                : endpoint.Address.ToString();
            return $"http://{(host.Contains(':') ? $"[{host}]" : host)}:{endpoint.Port}";
        }
    }

    /// <summary>Parses host:port; "localhost" means the IPv4 loopback.</summary>
    public static bool TryParseEndPoint(string? value, out IPEndPoint endPoint)
    {
        endPoint = null!;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (IPEndPoint.TryParse(value, out var parsed) && parsed.Port > 0)
        {
            endPoint = parsed;
            return true;
        }

        var colon = value.LastIndexOf(':');
        if (colon > 0
            && value[..colon].Equals("localhost", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(value[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port)
            && port is > 0 and <= 65535)
        {
            endPoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        return false;
    }

    private static IPEndPoint ParseEndPoint(string value, string setting) =>
        TryParseEndPoint(value, out var endPoint)
            ? endPoint
            : throw new InvalidOperationException(
                $"{SectionName}:{setting} must be host:port with an IP address or localhost and a port 1-65535; got '{value}'.");
}
