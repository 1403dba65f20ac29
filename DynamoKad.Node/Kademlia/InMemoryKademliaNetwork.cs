namespace DynamoKad.Kademlia;

/// <summary>
/// The overlay's network for simulation and tests: RPCs are direct method calls on the recipient's
/// <see cref="KademliaNode"/>, completing synchronously (zero latency). Messages are lost with a seeded
/// probability (request and reply each), and nodes can be taken down. Single-threaded by design: with
/// the same seed and the same calls, every run delivers and loses exactly the same messages.
/// Background work the nodes ask for (pings of least-recently-seen contacts) is queued, not run inline,
/// and runs when the driver calls <see cref="RunBackgroundWorkAsync"/>.
/// </summary>
public sealed class InMemoryKademliaNetwork : IKademliaNetwork
{
    private readonly Dictionary<string, KademliaNode> _nodes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly Queue<Func<Task>> _background = new();
    private readonly Random _random;

    public InMemoryKademliaNetwork(int seed, double lossRate = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lossRate);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(lossRate, 1);
        _random = new Random(seed);
        LossRate = lossRate;
    }

    /// <summary>The probability that any one message (request or reply) is lost.</summary>
    public double LossRate { get; set; }

    public long Messages { get; private set; }

    public long LostMessages { get; private set; }

    public int Count => _nodes.Count;

    /// <summary>Hand this to <see cref="KademliaNode"/>'s runInBackground so its probes wait for the driver.</summary>
    public void EnqueueBackground(Func<Task> work) => _background.Enqueue(work);

    /// <summary>Runs queued background work, and the work it queues in turn, until none is left; returns how many items ran.</summary>
    public async Task<int> RunBackgroundWorkAsync()
    {
        var ran = 0;
        while (_background.TryDequeue(out var work))
        {
            await work();
            ran++;
        }

        return ran;
    }

    /// <summary>Creates a node on this network, its probes queued for <see cref="RunBackgroundWorkAsync"/>.</summary>
    public KademliaNode CreateNode(Contact self, KademliaOptions options, TimeProvider time, Random random)
    {
        var node = new KademliaNode(self, this, options, time, random, runInBackground: EnqueueBackground);
        Add(node);
        return node;
    }

    public void Add(KademliaNode node) => _nodes.Add(node.Self.Address, node);

    /// <summary>The node stops answering (a crash or a partition from everyone).</summary>
    public void TakeDown(string address) => _down.Add(address);

    public void BringUp(string address) => _down.Remove(address);

    public bool IsUp(string address) => _nodes.ContainsKey(address) && !_down.Contains(address);

    public ValueTask<Contact?> PingAsync(Contact sender, string address, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Deliver(address) is { } node && Reply() ? node.HandlePing(sender) : (Contact?)null);

    public ValueTask<IReadOnlyList<Contact>?> FindNodeAsync(Contact sender, Contact recipient, NodeId target, CancellationToken cancellationToken)
    {
        if (Deliver(recipient) is not { } node)
        {
            return ValueTask.FromResult<IReadOnlyList<Contact>?>(null);
        }

        var closest = node.HandleFindNode(sender, target);
        return ValueTask.FromResult(Reply() ? closest : null);
    }

    public ValueTask<bool?> StoreAsync(Contact sender, Contact recipient, NodeId key, ReadOnlyMemory<byte> value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (Deliver(recipient) is not { } node)
        {
            return ValueTask.FromResult<bool?>(null);
        }

        var stored = node.HandleStore(sender, key, value.ToArray(), ttl);
        return ValueTask.FromResult(Reply() ? stored : (bool?)null);
    }

    public ValueTask<FindValueResult?> FindValueAsync(Contact sender, Contact recipient, NodeId key, CancellationToken cancellationToken)
    {
        if (Deliver(recipient) is not { } node)
        {
            return ValueTask.FromResult<FindValueResult?>(null);
        }

        var result = node.HandleFindValue(sender, key);
        return ValueTask.FromResult(Reply() ? result : null);
    }

    private KademliaNode? Deliver(Contact recipient)
    {
        var node = Deliver(recipient.Address);
        // A different node now living at the address is not the one the caller meant.
        return node is not null && node.Self.Id == recipient.Id ? node : null;
    }

    private KademliaNode? Deliver(string address)
    {
        Messages++;
        if (!_nodes.TryGetValue(address, out var node) || _down.Contains(address) || Lost())
        {
            return null;
        }

        return node;
    }

    private bool Reply()
    {
        Messages++;
        return !Lost();
    }

    private bool Lost()
    {
        if (LossRate <= 0 || _random.NextDouble() >= LossRate)
        {
            return false;
        }

        LostMessages++;
        return true;
    }
}
