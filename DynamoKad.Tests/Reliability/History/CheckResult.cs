using System.Text;

namespace DynamoKad.Tests.Reliability.History;

/// <summary>What <see cref="HistoryChecker"/> concluded about one run.</summary>
public sealed class CheckResult
{
    public required IReadOnlyList<Finding> Findings { get; init; }

    public required int Operations { get; init; }

    public required int AcknowledgedPuts { get; init; }

    public required int AcknowledgedDeletes { get; init; }

    public required int FailedOrUnknownWrites { get; init; }

    public required int OkReads { get; init; }

    /// <summary>Acknowledged values present in the final reads.</summary>
    public required int ValuesPresent { get; init; }

    /// <summary>Acknowledged values absent from the final reads because a later write's context covered them.</summary>
    public required int ValuesSuperseded { get; init; }

    /// <summary>Keys whose final read held more than one sibling.</summary>
    public required int KeysWithSiblings { get; init; }

    /// <summary>Keys whose final read found nothing (deleted, or never acknowledged).</summary>
    public required int KeysAbsent { get; init; }

    public required int Keys { get; init; }

    public bool IsValid => Findings.Count == 0;

    /// <summary>The whole history and every finding, one line each (written to a file when a run fails).</summary>
    public string Dump(HistoryRecorder history) =>
        string.Join('\n', Findings.Select(f => f.ToString()))
        + "\n\n"
        + string.Join('\n', history.Operations.Select(o => (o.InvokedMs, Text: o.ToString()))
            .Concat(history.NemesisEvents.Select(e => (InvokedMs: e.AtMs, Text: e.ToString())))
            .OrderBy(l => l.InvokedMs)
            .Select(l => l.Text));

    public IEnumerable<Finding> Of(FindingKind kind) => Findings.Where(f => f.Kind == kind);

    public string Summary() =>
        $"{Operations} operations ({AcknowledgedPuts} puts and {AcknowledgedDeletes} deletes acknowledged, {FailedOrUnknownWrites} writes failed or unknown, {OkReads} reads ok); " +
        $"{Keys} keys: {ValuesPresent} acknowledged values present, {ValuesSuperseded} superseded, {KeysWithSiblings} keys with siblings, {KeysAbsent} absent; " +
        $"findings: {Findings.Count} ({string.Join(", ", Enum.GetValues<FindingKind>().Select(k => $"{Of(k).Count()} {k}"))})";

    /// <summary>The findings, each followed by the minimal history around it.</summary>
    public string Describe(HistoryRecorder history, int maxFindings = 4)
    {
        var text = new StringBuilder();
        // The first findings of each kind: a flood of one kind must not hide the others.
        var shown = Findings.GroupBy(f => f.Kind).SelectMany(g => g.Take(Math.Max(1, maxFindings / 2))).Take(maxFindings).ToList();
        foreach (var finding in shown)
        {
            text.AppendLine(finding.ToString());
            foreach (var line in HistoryChecker.Excerpt(history, finding))
            {
                text.AppendLine("    " + line);
            }
        }

        if (Findings.Count > shown.Count)
        {
            text.AppendLine($"... and {Findings.Count - shown.Count} more findings");
        }

        return text.ToString();
    }
}
