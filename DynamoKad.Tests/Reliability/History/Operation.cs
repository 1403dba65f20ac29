using System.Globalization;

namespace DynamoKad.Tests.Reliability.History;

/// <summary>
/// One client operation in a history: invoked at <see cref="InvokedMs"/>, completed at <see cref="CompletedMs"/>
/// (ms since the run started). Values are unique strings per put, so a value names the put that wrote it.
/// Contexts are the product's opaque tokens: the checker only follows which operation a token came from.
/// </summary>
public sealed class Operation
{
    public required long Id { get; init; }

    public required int Client { get; init; }

    /// <summary>The node that coordinated the call.</summary>
    public required int Node { get; init; }

    public required OperationKind Kind { get; init; }

    public required string Key { get; init; }

    /// <summary>The value a put wrote.</summary>
    public string? Value { get; init; }

    /// <summary>The context a put or delete sent (empty: blind).</summary>
    public string ContextIn { get; init; } = "";

    /// <summary>
    /// The operation whose answer <see cref="ContextIn"/> came from (a get, or the client's own earlier put).
    /// Tracked by reference, not by token: two answers can carry the same token without the clients having
    /// seen the same values, and the checker judges by what the client saw.
    /// </summary>
    public Operation? ContextFrom { get; init; }

    public required double InvokedMs { get; init; }

    public double CompletedMs { get; set; }

    public Outcome Outcome { get; set; } = Outcome.Pending;

    /// <summary>A get's siblings (values), in the order the node returned them; for a put, the concurrent siblings its answer named.</summary>
    public IReadOnlyList<string> ValuesRead { get; set; } = [];

    /// <summary>The context an ok get or put returned.</summary>
    public string ContextOut { get; set; } = "";

    /// <summary>The status of a failed call.</summary>
    public string? Error { get; set; }

    public bool IsWrite => Kind is OperationKind.Put or OperationKind.Delete;

    public override string ToString()
    {
        var what = Kind switch
        {
            OperationKind.Put => $"put {Key}={Value}{(ContextIn.Length > 0 ? $" with ctx of #{ContextFrom?.Id}" : " blind")}",
            OperationKind.Delete => $"delete {Key}{(ContextIn.Length > 0 ? $" with ctx of #{ContextFrom?.Id}" : " blind")}",
            _ => $"get {Key}",
        };
        var result = Outcome switch
        {
            Outcome.Ok when Kind == OperationKind.Get => $"ok [{string.Join(", ", ValuesRead)}]",
            Outcome.Ok => "ok",
            Outcome.Pending => "pending",
            _ => $"{Outcome.ToString().ToLowerInvariant()} ({Error})",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"#{Id,-6} {InvokedMs,9:0.0}..{CompletedMs,9:0.0} ms  c{Client} via node{Node}  {what} -> {result}");
    }
}
