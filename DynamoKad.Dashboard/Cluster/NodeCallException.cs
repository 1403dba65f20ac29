namespace DynamoKad.Dashboard.Cluster;

/// <summary>A node refused or did not answer a call; the message is written for the person at the page.</summary>
public sealed class NodeCallException(string node, string status, string detail, Exception? inner = null)
    : Exception($"{node}: {status}{(string.IsNullOrEmpty(detail) ? string.Empty : " · " + detail)}", inner)
{
    public string Node { get; } = node;

    /// <summary>The gRPC status code name, e.g. <c>Unavailable</c>, <c>Unimplemented</c>, <c>DeadlineExceeded</c>.</summary>
    public string Status { get; } = status;

    public string Detail { get; } = detail;

    /// <summary>The node does not serve this call (an older build): the page falls back rather than failing.</summary>
    public bool IsUnimplemented => Status == "Unimplemented";
}
