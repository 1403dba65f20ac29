namespace DynamoKad.Bench;

/// <summary>One load-generator run: the same callers, keys and values whatever the target.</summary>
internal sealed record BenchSettings
{
    public required BenchTargetKind Target { get; init; }

    public required IReadOnlyList<Uri> Endpoints { get; init; }

    public BenchOperation Operation { get; init; } = BenchOperation.Put;

    /// <summary>For <see cref="BenchOperation.Mixed"/>: the fraction of operations that are gets.</summary>
    public double ReadRatio { get; init; } = 0.5;

    public int Keys { get; init; } = 10_000;

    public int KeySize { get; init; } = 16;

    public int ValueSize { get; init; } = 100;

    public int Concurrency { get; init; } = 64;

    /// <summary>HTTP/2 connections opened to each endpoint; callers are spread over all of them.</summary>
    public int ConnectionsPerEndpoint { get; init; } = 1;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Write every key once before the warm-up, so that gets find a value.</summary>
    public bool Preload { get; init; }

    /// <summary>etcd only: serve gets from the receiving member (serializable) instead of a linearizable read.</summary>
    public bool Serializable { get; init; } = true;

    /// <summary>DynamoKad only: put without the causal context of the last answer (each put adds a sibling).</summary>
    public bool BlindWrites { get; init; }

    /// <summary>DynamoKad only: R sent with each get as a per-request override (null: the cluster's).</summary>
    public int? ReadQuorum { get; init; }

    /// <summary>DynamoKad only: W sent with each put as a per-request override (null: the cluster's).</summary>
    public int? WriteQuorum { get; init; }

    /// <summary>
    /// DynamoKad only: send the requests as a pipelining client does, on one <c>KeyValue.Session</c> call per endpoint
    /// (<see cref="Client.KeyValueSessionClient"/>), instead of one unary call each.
    /// </summary>
    public bool Session { get; init; }

    public int Seed { get; init; } = 1;

    /// <summary>Server processes on this machine whose CPU time over the measured window is reported.</summary>
    public IReadOnlyList<int> ServerPids { get; init; } = [];

    public string Label => $"{Target.ToString().ToLowerInvariant()} {Operation.ToString().ToLowerInvariant()}";
}
