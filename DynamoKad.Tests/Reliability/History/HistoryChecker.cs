namespace DynamoKad.Tests.Reliability.History;

/// <summary>
/// Checks a history of client operations against the final state of every key (read at R=N after healing).
/// Causality is the clients' own: a context token covers the values of the operation that returned it (a
/// get's siblings, a put's own value) and, transitively, everything those values' puts covered. The checker
/// never decodes a token and follows each context to the answer it came from (not to an equal token), so it
/// does not trust the product's clocks to judge the product's clocks.
/// <list type="bullet">
/// <item>lost write: an acknowledged put's value is absent and no write (acknowledged or not: a failed write
/// may still have reached a replica) was sent with a context covering it;</item>
/// <item>resurrected: a value is present although an acknowledged put or delete covered it (deleted keys
/// stay deleted; superseded versions stay gone);</item>
/// <item>phantom: a value nobody wrote;</item>
/// <item>stale read (optional; meaningful when R+W&gt;N and the preference list is stable): an ok get that
/// began after a put was acknowledged saw neither its value nor anything that could have superseded it.</item>
/// </list>
/// Concurrent acknowledged writes are siblings: neither covers the other, so both must be present, which is
/// the "siblings preserved" property, checked by the lost-write rule.
/// </summary>
public sealed class HistoryChecker
{
    private readonly IReadOnlyList<Operation> _operations;
    private readonly Dictionary<string, Operation> _putByValue = [];
    private readonly Dictionary<long, HashSet<string>> _contextCoverage = [];
    private readonly Dictionary<string, HashSet<string>> _valueCoverage = [];
    private readonly Dictionary<string, List<Operation>> _coveredBy = [];

    private HistoryChecker(IReadOnlyList<Operation> operations)
    {
        _operations = operations;
        foreach (var op in operations)
        {
            if (op.Kind == OperationKind.Put && op.Value is not null && !_putByValue.TryAdd(op.Value, op))
            {
                throw new ArgumentException($"value {op.Value} was written twice (#{_putByValue[op.Value].Id} and #{op.Id}): values must name their put.");
            }
        }

        foreach (var write in operations.Where(o => o.IsWrite && o.ContextFrom is not null))
        {
            foreach (var value in CoverageOfContext(write.ContextFrom!))
            {
                if (!_coveredBy.TryGetValue(value, out var writers))
                {
                    _coveredBy[value] = writers = [];
                }

                writers.Add(write);
            }
        }
    }

    public static CheckResult Check(
        IReadOnlyList<Operation> operations,
        IReadOnlyDictionary<string, IReadOnlyList<string>> finalValues,
        bool checkStaleReads)
    {
        var checker = new HistoryChecker(operations);
        return checker.Run(finalValues, checkStaleReads);
    }

    /// <summary>
    /// The minimal history around a finding: every operation that wrote, read or covered the value, every
    /// write to the key from shortly before it on, and the nemesis events meanwhile. At most 60 lines.
    /// </summary>
    public static IEnumerable<string> Excerpt(HistoryRecorder history, Finding finding)
    {
        var operations = history.Operations;
        var from = (finding.About?.InvokedMs ?? 0) - 2000;
        var relevant = operations
            .Where(o => o.Key == finding.Key
                && (o.InvokedMs >= from
                    || o.Value == finding.Value
                    || (finding.Value is not null && o.ValuesRead.Contains(finding.Value))))
            .Select(o => (At: o.InvokedMs, Text: o.ToString()))
            .Take(50);
        var until = operations.Where(o => o.Key == finding.Key).Select(o => o.CompletedMs).DefaultIfEmpty(from).Max();
        var nemesis = history.NemesisEvents
            .Where(e => e.AtMs >= from && e.AtMs <= until)
            .Select(e => (At: e.AtMs, Text: e.ToString()))
            .Take(10);
        return relevant.Concat(nemesis).OrderBy(l => l.At).Select(l => l.Text);
    }

    private CheckResult Run(IReadOnlyDictionary<string, IReadOnlyList<string>> finalValues, bool checkStaleReads)
    {
        var findings = new List<Finding>();
        var keys = _operations.Select(o => o.Key).Concat(finalValues.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        int present = 0, superseded = 0, siblings = 0, absent = 0;
        foreach (var key in keys)
        {
            var final = finalValues.TryGetValue(key, out var values) ? values : [];
            var finalSet = final.ToHashSet(StringComparer.Ordinal);
            siblings += final.Count > 1 ? 1 : 0;
            absent += final.Count == 0 ? 1 : 0;

            foreach (var put in _operations.Where(o => o.Key == key && o.Kind == OperationKind.Put && o.Outcome == Outcome.Ok))
            {
                if (finalSet.Contains(put.Value!))
                {
                    present++;
                }
                else if (_coveredBy.ContainsKey(put.Value!))
                {
                    superseded++;
                }
                else
                {
                    findings.Add(new Finding(FindingKind.LostWrite, key, put.Value,
                        $"acknowledged by #{put.Id} at {put.CompletedMs:0} ms, absent from the final read [{string.Join(", ", final)}], and no write's context covered it",
                        put));
                }
            }

            foreach (var value in final)
            {
                if (!_putByValue.TryGetValue(value, out var put) || put.Key != key)
                {
                    findings.Add(new Finding(FindingKind.Phantom, key, value, "no client wrote this value to this key", null));
                    continue;
                }

                var acknowledgedCover = _coveredBy.TryGetValue(value, out var writers)
                    ? writers.FirstOrDefault(w => w.Outcome == Outcome.Ok)
                    : null;
                if (acknowledgedCover is not null)
                {
                    findings.Add(new Finding(FindingKind.Resurrected, key, value,
                        $"present in the final read although acknowledged {acknowledgedCover.Kind.ToString().ToLowerInvariant()} #{acknowledgedCover.Id} covered it",
                        put));
                }
            }
        }

        if (checkStaleReads)
        {
            findings.AddRange(StaleReads());
        }

        return new CheckResult
        {
            Findings = findings,
            Operations = _operations.Count,
            AcknowledgedPuts = _operations.Count(o => o.Kind == OperationKind.Put && o.Outcome == Outcome.Ok),
            AcknowledgedDeletes = _operations.Count(o => o.Kind == OperationKind.Delete && o.Outcome == Outcome.Ok),
            FailedOrUnknownWrites = _operations.Count(o => o.IsWrite && o.Outcome is Outcome.Fail or Outcome.Unknown),
            OkReads = _operations.Count(o => o.Kind == OperationKind.Get && o.Outcome == Outcome.Ok),
            ValuesPresent = present,
            ValuesSuperseded = superseded,
            KeysWithSiblings = siblings,
            KeysAbsent = absent,
            Keys = keys.Count,
        };
    }

    private IEnumerable<Finding> StaleReads()
    {
        foreach (var keyGroup in _operations.GroupBy(o => o.Key, StringComparer.Ordinal))
        {
            var puts = keyGroup.Where(o => o.Kind == OperationKind.Put && o.Outcome == Outcome.Ok).ToList();
            foreach (var read in keyGroup.Where(o => o.Kind == OperationKind.Get && o.Outcome == Outcome.Ok))
            {
                foreach (var put in puts.Where(p => p.CompletedMs < read.InvokedMs))
                {
                    if (read.ValuesRead.Contains(put.Value!)
                        || (_coveredBy.TryGetValue(put.Value!, out var writers) && writers.Any(w => w.InvokedMs < read.CompletedMs)))
                    {
                        continue;
                    }

                    yield return new Finding(FindingKind.StaleRead, keyGroup.Key, put.Value,
                        $"get #{read.Id} (from {read.InvokedMs:0} ms) returned [{string.Join(", ", read.ValuesRead)}], after put #{put.Id} was acknowledged at {put.CompletedMs:0} ms",
                        put);
                }
            }
        }
    }

    /// <summary>The values the context <paramref name="source"/> answered with covers, from the client's point of view.</summary>
    private HashSet<string> CoverageOfContext(Operation source)
    {
        if (_contextCoverage.TryGetValue(source.Id, out var cached))
        {
            return cached;
        }

        var coverage = new HashSet<string>(StringComparer.Ordinal);
        _contextCoverage[source.Id] = coverage; // a (malformed) cycle ends here instead of recursing forever
        // A put's answer covers its own value and the concurrent siblings it returned with it.
        var values = source.Kind == OperationKind.Put ? [source.Value!, .. source.ValuesRead] : source.ValuesRead;
        foreach (var value in values)
        {
            coverage.Add(value);
            coverage.UnionWith(CoverageOfValue(value));
        }

        return coverage;
    }

    /// <summary>What the put that wrote <paramref name="value"/> superseded: the coverage of the context it sent.</summary>
    private HashSet<string> CoverageOfValue(string value)
    {
        if (_valueCoverage.TryGetValue(value, out var cached))
        {
            return cached;
        }

        var coverage = new HashSet<string>(StringComparer.Ordinal);
        _valueCoverage[value] = coverage;
        if (_putByValue.TryGetValue(value, out var put) && put.ContextFrom is not null)
        {
            coverage.UnionWith(CoverageOfContext(put.ContextFrom));
        }

        return coverage;
    }
}
