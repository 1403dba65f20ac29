using DynamoKad.Tests.Reliability.History;

namespace DynamoKad.Tests.Reliability;

/// <summary>The checker alone, on hand-written histories: what it must accept and what it must report.</summary>
public sealed class HistoryCheckerTests
{
    private readonly HistoryRecorder _history = new();

    [Fact]
    public void ConcurrentAcknowledgedBlindPutsMustBothSurvive()
    {
        Put("a", "v1");
        Put("a", "v2");

        Assert.True(Check(("a", ["v1", "v2"])).IsValid);
        var result = Check(("a", ["v2"]));
        Assert.Equal("v1", Assert.Single(result.Of(FindingKind.LostWrite)).Value);
    }

    [Fact]
    public void AValueIsSupersededOnlyByAWriteWhoseContextCameFromAnAnswerThatShowedIt()
    {
        Put("a", "v1");
        var read = Get("a", "v1");
        Put("a", "v2");
        Put("a", "v3", read);

        // v1 is covered by v3's context; v2 was never seen by v3's writer.
        Assert.True(Check(("a", ["v2", "v3"])).IsValid);
        Assert.Equal("v2", Assert.Single(Check(("a", ["v3"])).Of(FindingKind.LostWrite)).Value);
    }

    [Fact]
    public void SupersessionIsTransitiveThroughTheValuesAReadReturned()
    {
        Put("a", "v1");
        var first = Get("a", "v1");
        Put("a", "v2", first);
        var second = Get("a", "v2");
        Put("a", "v3", second);

        Assert.True(Check(("a", ["v3"])).IsValid);
    }

    [Fact]
    public void AFailedWriteWithAContextMayHaveSupersededAValueButAnAcknowledgedOneMust()
    {
        Put("a", "v1");
        var read = Get("a", "v1");
        var failed = _history.Invoke(0, 0, OperationKind.Put, "a", "v2", read);
        _history.Complete(failed, Outcome.Fail, "Unavailable");

        Assert.True(Check(("a", [])).IsValid, "v2 may have reached one replica and superseded v1");
        Assert.True(Check(("a", ["v1"])).IsValid, "v2 may never have landed");
    }

    [Fact]
    public void AValueBackAfterAnAcknowledgedDeleteCoveredItIsAResurrection()
    {
        Put("a", "v1");
        var read = Get("a", "v1");
        var delete = _history.Invoke(0, 0, OperationKind.Delete, "a", contextFrom: read);
        _history.Ok(delete);

        Assert.True(Check(("a", [])).IsValid);
        Assert.Equal(FindingKind.Resurrected, Assert.Single(Check(("a", ["v1"])).Findings).Kind);
    }

    [Fact]
    public void AValueNobodyWroteIsAPhantom() =>
        Assert.Equal(FindingKind.Phantom, Assert.Single(Check(("a", ["zzz"])).Findings).Kind);

    [Fact]
    public void AReadAfterAnAcknowledgedPutThatMissesItIsStale()
    {
        Put("a", "v1");
        Get("a");

        var result = HistoryChecker.Check(_history.Operations, new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["v1"] }, checkStaleReads: true);
        Assert.Equal(FindingKind.StaleRead, Assert.Single(result.Findings).Kind);
    }

    [Fact]
    public void TwoAnswersWithTheSameTokenAreJudgedByWhatEachShowedTheClient()
    {
        // The product can hand out one token for a put of v2 and for a read of [v1, v2] (finding R1);
        // a write with the put's token has not seen v1, whatever the token says.
        Put("a", "v1", token: "T1");
        var own = Put("a", "v2", token: "T2");
        Get("a", ["v1", "v2"], token: "T2");
        Put("a", "v3", own);

        Assert.Equal("v1", Assert.Single(Check(("a", ["v3"])).Of(FindingKind.LostWrite)).Value);
    }

    private Operation Put(string key, string value, Operation? contextFrom = null, string? token = null)
    {
        var op = _history.Invoke(0, 0, OperationKind.Put, key, value, contextFrom);
        _history.Ok(op, context: token ?? "t-" + value);
        return op;
    }

    private Operation Get(string key, params string[] values) => Get(key, values, "r-" + string.Join("+", values));

    private Operation Get(string key, string[] values, string token)
    {
        var op = _history.Invoke(0, 0, OperationKind.Get, key);
        _history.Ok(op, values, token);
        return op;
    }

    private CheckResult Check(params (string Key, string[] Values)[] final) =>
        HistoryChecker.Check(_history.Operations, final.ToDictionary(f => f.Key, f => (IReadOnlyList<string>)f.Values), checkStaleReads: false);
}
