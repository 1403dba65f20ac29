using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.Core;

namespace DynamoKad.Bench;

/// <summary>
/// Closed-loop load: each caller sends one request, waits for its answer, sends the next. Operations that
/// start after the warm-up and finish before the end are measured; the rest only keep the pipe full.
/// </summary>
internal sealed class BenchRunner
{
    private readonly BenchSettings _settings;
    private readonly IBenchTarget _target;
    private readonly TextWriter _progress;
    private readonly ByteString[] _keys;
    private readonly ByteString _value;

    public BenchRunner(BenchSettings settings, IBenchTarget target, TextWriter progress)
    {
        _settings = settings;
        _target = target;
        _progress = progress;
        _keys = MakeKeys(settings.Keys, settings.KeySize);
        var value = new byte[settings.ValueSize];
        new Random(settings.Seed).NextBytes(value);
        _value = ByteString.CopyFrom(value);
    }

    /// <summary>Key i is "k" and i in decimal, zero-padded (or cut) to exactly <paramref name="size"/> bytes.</summary>
    internal static ByteString[] MakeKeys(int count, int size)
    {
        var keys = new ByteString[count];
        for (var i = 0; i < count; i++)
        {
            var text = "k" + i.ToString(CultureInfo.InvariantCulture).PadLeft(Math.Max(0, size - 1), '0');
            var bytes = Encoding.ASCII.GetBytes(text);
            keys[i] = ByteString.CopyFrom(bytes, Math.Max(0, bytes.Length - size), Math.Min(size, bytes.Length));
        }

        return keys;
    }

    public async Task<BenchResult> RunAsync(CancellationToken cancellationToken)
    {
        if (_settings.Preload)
        {
            await ForEveryKeyAsync("preloaded", (caller, index) => _target.PutAsync(caller, index, _keys[index], _value, DateTime.UtcNow + _settings.Timeout, cancellationToken), cancellationToken);
        }
        else if (_target.RemembersKeys && _settings.Operation != BenchOperation.Get)
        {
            // Without the contexts a first put of each key would be blind and add a sibling per run.
            await ForEveryKeyAsync("read contexts of", (caller, index) => _target.GetAsync(caller, index, _keys[index], DateTime.UtcNow + _settings.Timeout, cancellationToken), cancellationToken);
        }

        var callers = new Caller[_settings.Concurrency];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = new Caller(i, new Random(_settings.Seed + (i * 7919)));
        }

        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + ToTicks(_settings.Warmup);
        var measureUntil = measureFrom + ToTicks(_settings.Duration);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        var tasks = new Task[callers.Length];
        for (var i = 0; i < callers.Length; i++)
        {
            var caller = callers[i];
            tasks[i] = Task.Run(() => CallerLoopAsync(caller, measureFrom, measureUntil, stop.Token), CancellationToken.None);
        }

        var (cpu, serverCpu, measuredTicks) = await ReportProgressAsync(callers, start, measureFrom, measureUntil, cancellationToken);
        await Task.WhenAll(tasks);

        var latency = new LatencyHistogram();
        long errors = 0;
        string? firstError = null;
        foreach (var caller in callers)
        {
            latency.Add(caller.Latency);
            errors += caller.MeasuredErrors;
            firstError ??= caller.FirstError;
        }

        return new BenchResult
        {
            Settings = _settings,
            Latency = latency,
            Errors = errors,
            FirstError = firstError,
            Measured = Stopwatch.GetElapsedTime(0, measuredTicks),
            ClientCpu = cpu,
            ServerCpu = serverCpu,
        };
    }

    private async Task CallerLoopAsync(Caller caller, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        var random = caller.Random;
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            if (started >= measureUntil)
            {
                return;
            }

            var keyIndex = random.Next(_keys.Length);
            var key = _keys[keyIndex];
            var isGet = _settings.Operation switch
            {
                BenchOperation.Get => true,
                BenchOperation.Mixed => random.NextDouble() < _settings.ReadRatio,
                _ => false,
            };
            var deadline = DateTime.UtcNow + _settings.Timeout;
            var failed = false;
            try
            {
                if (isGet)
                {
                    await _target.GetAsync(caller.Index, keyIndex, key, deadline, cancellationToken);
                }
                else
                {
                    await _target.PutAsync(caller.Index, keyIndex, key, _value, deadline, cancellationToken);
                }
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failed = true;
                caller.FirstError ??= $"{ex.StatusCode}: {ex.Status.Detail}";
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var finished = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref failed ? ref caller.AllErrors : ref caller.AllOperations);
            if (started >= measureFrom && finished <= measureUntil)
            {
                if (failed)
                {
                    caller.MeasuredErrors++;
                }
                else
                {
                    caller.Latency.Record((finished - started) * 1_000_000 / Stopwatch.Frequency);
                }
            }
        }
    }

    private async Task<(TimeSpan Cpu, TimeSpan? ServerCpu, long MeasuredTicks)> ReportProgressAsync(
        Caller[] callers, long start, long measureFrom, long measureUntil, CancellationToken cancellationToken)
    {
        using var process = Process.GetCurrentProcess();
        var cpuFrom = TimeSpan.Zero;
        var cpuUntil = TimeSpan.Zero;
        TimeSpan? serverFrom = null, serverUntil = null;
        var cpuFromTaken = false;
        var lastOps = 0L;
        var lastTick = start;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var nextReport = start + ToTicks(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var now = Stopwatch.GetTimestamp();
            if (!cpuFromTaken && now >= measureFrom)
            {
                process.Refresh();
                cpuFrom = process.TotalProcessorTime;
                serverFrom = ServerCpu();
                cpuFromTaken = true;
            }

            if (now >= measureUntil)
            {
                process.Refresh();
                cpuUntil = process.TotalProcessorTime;
                serverUntil = ServerCpu();
                break;
            }

            if (now >= nextReport)
            {
                long ops = 0, errors = 0;
                foreach (var caller in callers)
                {
                    ops += Volatile.Read(ref caller.AllOperations);
                    errors += Volatile.Read(ref caller.AllErrors);
                }

                var rate = (ops - lastOps) / Stopwatch.GetElapsedTime(lastTick, now).TotalSeconds;
                var phase = now < measureFrom ? "warm-up" : "measure";
                await _progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"[{Stopwatch.GetElapsedTime(start, now).TotalSeconds,5:F1}s] {_settings.Label} {phase}: {rate,9:N0} ops/s, {errors:N0} errors"));
                lastOps = ops;
                lastTick = now;
                nextReport += ToTicks(TimeSpan.FromSeconds(1));
            }
        }

        return (cpuUntil - cpuFrom, serverUntil - serverFrom, measureUntil - measureFrom);
    }

    /// <summary>The summed CPU time of the server processes named by <c>--server-pid</c> (same machine only).</summary>
    private TimeSpan? ServerCpu()
    {
        if (_settings.ServerPids.Count == 0)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        foreach (var pid in _settings.ServerPids)
        {
            try
            {
                using var server = Process.GetProcessById(pid);
                total += server.TotalProcessorTime;
            }
            catch (ArgumentException)
            {
                return null; // gone: no figure rather than a wrong one
            }
        }

        return total;
    }

    private async Task ForEveryKeyAsync(string what, Func<int, int, Task> call, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var next = -1;
        var failures = 0;
        var workers = Enumerable.Range(0, _settings.Concurrency).Select(caller => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < _keys.Length)
            {
                try
                {
                    await call(caller, index);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }, cancellationToken));
        await Task.WhenAll(workers);
        await _progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{what} {_keys.Length:N0} keys in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s ({failures} failed)"));
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private sealed class Caller(int index, Random random)
    {
        public long AllOperations;
        public long AllErrors;

        public int Index { get; } = index;

        public Random Random { get; } = random;

        public LatencyHistogram Latency { get; } = new();

        public long MeasuredErrors { get; set; }

        public string? FirstError { get; set; }
    }
}
