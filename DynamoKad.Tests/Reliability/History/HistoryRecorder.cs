using System.Diagnostics;

namespace DynamoKad.Tests.Reliability.History;

/// <summary>Thread-safe log of every client operation and nemesis event of one run, timed from its start.</summary>
public sealed class HistoryRecorder
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Operation> _operations = [];
    private readonly List<NemesisEvent> _nemesis = [];
    private long _nextId;

    public double NowMs => _clock.Elapsed.TotalMilliseconds;

    public Operation Invoke(int client, int node, OperationKind kind, string key, string? value = null, Operation? contextFrom = null)
    {
        var operation = new Operation
        {
            Id = Interlocked.Increment(ref _nextId),
            Client = client,
            Node = node,
            Kind = kind,
            Key = key,
            Value = value,
            ContextIn = contextFrom?.ContextOut ?? "",
            ContextFrom = contextFrom,
            InvokedMs = NowMs,
        };
        lock (_operations)
        {
            _operations.Add(operation);
        }

        return operation;
    }

    public void Ok(Operation operation, IReadOnlyList<string>? valuesRead = null, string context = "")
    {
        operation.ValuesRead = valuesRead ?? [];
        operation.ContextOut = context;
        Complete(operation, Outcome.Ok, null);
    }

    public void Complete(Operation operation, Outcome outcome, string? error)
    {
        operation.Error = error;
        operation.CompletedMs = NowMs;
        // Last: a reader that sees the outcome sees everything else (lock below publishes it).
        lock (_operations)
        {
            operation.Outcome = outcome;
        }
    }

    public void Nemesis(string description)
    {
        lock (_nemesis)
        {
            _nemesis.Add(new NemesisEvent(NowMs, description));
        }
    }

    public IReadOnlyList<Operation> Operations
    {
        get
        {
            lock (_operations)
            {
                return [.. _operations];
            }
        }
    }

    public IReadOnlyList<NemesisEvent> NemesisEvents
    {
        get
        {
            lock (_nemesis)
            {
                return [.. _nemesis];
            }
        }
    }
}
