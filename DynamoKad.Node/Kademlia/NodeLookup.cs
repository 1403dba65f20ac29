using DynamoKad.Telemetry;

namespace DynamoKad.Kademlia;

/// <summary>
/// Kademlia §2.3: the iterative node lookup. Starts from the k closest contacts in the table and, round
/// by round, sends FIND_NODE (or FIND_VALUE) to the alpha closest contacts not yet asked, merging what
/// they return. A round that brings nothing closer than the closest already known sends to all of the
/// k closest not yet asked. The lookup ends when the k closest known contacts have all answered.
/// A contact that does not answer is asked once more, then dropped from the candidates and marked
/// failed in the routing table. The whole lookup is bounded by the lookup deadline: when it passes,
/// the RPCs in flight are cancelled and the contacts that answered so far are returned (TimedOut).
/// Cancelling the caller's token throws <see cref="OperationCanceledException"/> instead.
/// </summary>
internal sealed class NodeLookup
{
    // A single lost packet should not cost a live node its place in the result: one retry makes a false
    // "failed" at 1% loss a 1-in-10,000 event, while a dead node costs at most two RPC timeouts.
    private const int MaxAttemptsPerContact = 2;

    private readonly KademliaNode _node;
    private readonly NodeId _target;
    private readonly bool _findValue;
    private readonly List<Candidate> _candidates = [];
    private readonly HashSet<NodeId> _known = [];

    public NodeLookup(KademliaNode node, NodeId target, bool findValue)
    {
        _node = node;
        _target = target;
        _findValue = findValue;
    }

    public async Task<LookupResult> RunAsync(CancellationToken cancellationToken)
    {
        var options = _node.Options;
        _node.RoutingTable.TouchBucketFor(_target);
        using var activity = DynamoKadTelemetry.Source.StartActivity(_findValue ? "kademlia.find_value" : "kademlia.lookup");
        activity?.SetTag("dynamokad.target", _target.ToShortString());
        // The deadline cancels the RPCs still in flight, so a lookup never outlives it.
        using var deadline = new CancellationTokenSource(options.LookupDeadline, _node.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var token = linked.Token;

        if (_findValue && _node.Records.TryGet(_target, out var local, out _))
        {
            return new LookupResult([_node.Self], 0, 0, 0, false, local);
        }

        Add(_node.Self, answered: true);
        foreach (var contact in _node.RoutingTable.Closest(_target, options.K))
        {
            Add(contact, answered: false);
        }

        int rounds = 0, rpcs = 0, failures = 0;
        var timedOut = false;
        var improved = true;
        byte[]? value = null;
        var batch = new List<Candidate>(options.K);
        var calls = new List<ValueTask<FindValueResult?>>(options.K);
        while (true)
        {
            batch.Clear();
            var allAnswered = true;
            var width = improved ? options.Alpha : options.K;
            var seen = 0;
            foreach (var candidate in _candidates)
            {
                if (candidate.State == CandidateState.Failed)
                {
                    continue;
                }

                if (++seen > options.K)
                {
                    break;
                }

                if (candidate.State == CandidateState.Pending)
                {
                    allAnswered = false;
                    if (batch.Count < width)
                    {
                        batch.Add(candidate);
                    }
                }
            }

            if (allAnswered)
            {
                break;
            }

            if (token.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                timedOut = true;
                break;
            }

            rounds++;
            var closestBefore = ClosestDistance();
            calls.Clear();
            var askedAt = _node.Time.GetUtcNow();
            foreach (var candidate in batch)
            {
                // Nothing more is sent once the deadline has passed.
                calls.Add(token.IsCancellationRequested ? ValueTask.FromResult<FindValueResult?>(null) : Ask(candidate.Contact, token));
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var candidate = batch[i];
                rpcs++;
                FindValueResult? answer;
                try
                {
                    answer = await calls[i];
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    answer = null;
                }

                if (answer is null)
                {
                    failures++;
                    // A call cut short by the deadline says nothing about the contact.
                    if (++candidate.Attempts >= MaxAttemptsPerContact && !token.IsCancellationRequested)
                    {
                        candidate.State = CandidateState.Failed;
                        // Not if it was heard from meanwhile (e.g. it joined through this node while the call was out).
                        _node.RoutingTable.MarkFailed(candidate.Contact.Id, askedAt);
                    }

                    continue;
                }

                candidate.State = CandidateState.Answered;
                _node.Observe(candidate.Contact);
                value ??= answer.Value;
                foreach (var contact in answer.Closest)
                {
                    Add(contact, answered: false);
                }
            }

            if (value is not null)
            {
                break;
            }

            improved = ClosestDistance() < closestBefore;
        }

        var closest = new List<Contact>(options.K);
        foreach (var candidate in _candidates)
        {
            if (candidate.State == CandidateState.Answered)
            {
                closest.Add(candidate.Contact);
                if (closest.Count == options.K)
                {
                    break;
                }
            }
        }

        activity?.SetTag("dynamokad.rounds", rounds);
        activity?.SetTag("dynamokad.rpcs", rpcs);
        activity?.SetTag("dynamokad.failures", failures);
        activity?.SetTag("dynamokad.timed_out", timedOut);
        DynamoKadMetrics.LookupRounds.Record(rounds);
        return new LookupResult(closest, rounds, rpcs, failures, timedOut, value);
    }

    private async ValueTask<FindValueResult?> Ask(Contact contact, CancellationToken cancellationToken)
    {
        var network = _node.Network;
        if (_findValue)
        {
            return await network.FindValueAsync(_node.Self, contact, _target, cancellationToken);
        }

        var closest = await network.FindNodeAsync(_node.Self, contact, _target, cancellationToken);
        return closest is null ? null : new FindValueResult(null, TimeSpan.Zero, closest);
    }

    private NodeId ClosestDistance()
    {
        foreach (var candidate in _candidates)
        {
            if (candidate.State != CandidateState.Failed)
            {
                return candidate.Distance;
            }
        }

        return NodeId.Max;
    }

    private void Add(Contact contact, bool answered)
    {
        var distance = contact.Id ^ _target;
        // Only the k closest can end up in the result; twice that leaves room for failures among them.
        // A contact dropped here is not remembered, so it is considered again if someone returns it later.
        var shortlist = 2 * _node.Options.K;
        if (_candidates.Count >= shortlist && distance > _candidates[shortlist - 1].Distance && !answered)
        {
            return;
        }

        if (!_known.Add(contact.Id))
        {
            return;
        }

        var candidate = new Candidate(contact, distance)
        {
            State = answered ? CandidateState.Answered : CandidateState.Pending,
        };
        var lo = 0;
        var hi = _candidates.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_candidates[mid].Distance < candidate.Distance)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        _candidates.Insert(lo, candidate);
    }

    private enum CandidateState
    {
        Pending,
        Answered,
        Failed,
    }

    private sealed class Candidate(Contact contact, NodeId distance)
    {
        public Contact Contact { get; } = contact;

        public NodeId Distance { get; } = distance;

        public CandidateState State { get; set; }

        public int Attempts { get; set; }
    }
}
