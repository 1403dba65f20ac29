using System.Diagnostics;
using System.Globalization;
using System.Text;
using Grpc.Net.Client;

namespace DynamoKad.Tests.Support;

/// <summary>
/// One real node process (<c>dotnet DynamoKad.Node.dll serve</c>) on fixed loopback ports and its own data
/// directory, so a <see cref="Kill"/> followed by <see cref="Start"/> is the same node coming back from a crash.
/// Its output goes to <see cref="LogPath"/> (every incarnation appends), so a failure can quote it.
/// </summary>
public sealed class StandaloneNode : IAsyncDisposable
{
    private static readonly HttpClient Health = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Lock _gate = new();
    private readonly Func<IReadOnlyList<string>> _arguments;
    private Process? _process;
    private StreamWriter? _log;
    private GrpcChannel? _channel;

    internal StandaloneNode(int index, string dataDir, string logPath, Func<IReadOnlyList<string>> arguments)
    {
        Index = index;
        DataDir = dataDir;
        LogPath = logPath;
        _arguments = arguments;
        GrpcPort = FreePorts.Next();
        HttpPort = FreePorts.Next();
    }

    public int Index { get; }

    public string Name => $"node{Index}";

    public int GrpcPort { get; }

    public int HttpPort { get; }

    public string GrpcAddress => $"http://127.0.0.1:{GrpcPort}";

    public string HttpAddress => $"http://127.0.0.1:{HttpPort}";

    public string DataDir { get; }

    public string LogPath { get; }

    /// <summary>How many times the process was started (1 after the cluster came up).</summary>
    public int Incarnation { get; private set; }

    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false };
            }
        }
    }

    public int? ProcessId
    {
        get
        {
            lock (_gate)
            {
                return _process is { HasExited: false } p ? p.Id : null;
            }
        }
    }

    /// <summary>A channel to the node's gRPC endpoint; it outlives restarts (same address).</summary>
    public GrpcChannel Channel
    {
        get
        {
            lock (_gate)
            {
                return _channel ??= GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions
                {
                    HttpHandler = new SocketsHttpHandler
                    {
                        ConnectTimeout = TimeSpan.FromSeconds(2),
                        EnableMultipleHttp2Connections = true,
                    },
                    MaxReceiveMessageSize = 64 * 1024 * 1024,
                });
            }
        }
    }

    /// <summary>The arguments of the node's command line (for failure messages and docs).</summary>
    public string CommandLine => string.Join(' ', _arguments());

    /// <summary>Starts a new incarnation; the previous one must have exited.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
            {
                throw new InvalidOperationException($"{Name} is already running (pid {_process.Id}).");
            }

            _process?.Dispose();
            _log ??= new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
            Incarnation++;
            _log.WriteLine($"=== {Name} incarnation {Incarnation} at {DateTime.UtcNow:O}: dotnet {CommandLine}");

            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in _arguments())
            {
                start.ArgumentList.Add(argument);
            }

            // The node must not pick up the test runner's Aspire / OpenTelemetry wiring.
            foreach (var key in start.Environment.Keys.ToList())
            {
                if (key.StartsWith("DynamoKad__", StringComparison.OrdinalIgnoreCase)
                    || key.StartsWith("OTEL_", StringComparison.OrdinalIgnoreCase)
                    || key.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase))
                {
                    start.Environment.Remove(key);
                }
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            // Two cores shared by several nodes and the test runner: one GC heap per node, not one per core.
            start.Environment["DOTNET_gcServer"] = "0";

            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            var log = _log;
            var incarnation = Incarnation;
            process.OutputDataReceived += (_, e) => Append(log, e.Data);
            process.ErrorDataReceived += (_, e) => Append(log, e.Data);
            process.Exited += (_, _) => Append(log, $"=== {Name} incarnation {incarnation} exited");
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
        }
    }

    /// <summary>SIGKILL: no shutdown hook runs, nothing is flushed; returns once the process is gone.</summary>
    public void Kill()
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is null)
        {
            return;
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            throw new TimeoutException($"{Name} (pid {process.Id}) did not die within 30 s of SIGKILL.");
        }
    }

    /// <summary>SIGTERM and wait: the graceful path (the host drains requests and flushes storage).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        Process? process;
        lock (_gate)
        {
            process = _process;
        }

        if (process is null || process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().WaitAsync(timeout);
        }

        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Kill();
            throw new TimeoutException($"{Name} did not stop within {timeout.TotalSeconds:0} s of SIGTERM; killed it.");
        }
    }

    /// <summary>
    /// Waits until <c>/health</c> answers 200 with "Healthy" (not Degraded: a node with seeds and an empty
    /// routing table says so), failing early with the log tail if the process exits.
    /// </summary>
    public async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (deadline.Elapsed < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsRunning)
            {
                throw new InvalidOperationException($"{Name} exited while starting. Log tail:\n{TailLog(40)}");
            }

            try
            {
                using var response = await Health.GetAsync($"{HttpAddress}/health", cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if ((int)response.StatusCode == 200 && body.Contains("Healthy", StringComparison.Ordinal))
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {body}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "health request timed out";
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"{Name} was not healthy within {timeout.TotalSeconds:0} s (last: {last}). Log tail:\n{TailLog(40)}");
    }

    /// <summary>Resident set size of the running process (VmRSS), or null when it is not running.</summary>
    public long? ResidentBytes()
    {
        var pid = ProcessId;
        if (pid is null)
        {
            return null;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process exited between the two reads.
        }

        return null;
    }

    public string TailLog(int lines)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var tail = new Queue<string>();
            while (reader.ReadLine() is { } line)
            {
                tail.Enqueue(line);
                if (tail.Count > lines)
                {
                    tail.Dequeue();
                }
            }

            return string.Join('\n', tail);
        }
        catch (IOException ex)
        {
            return $"(log unreadable: {ex.Message})";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Kill();
        }
        finally
        {
            lock (_gate)
            {
                _channel?.Dispose();
                _channel = null;
                _process?.Dispose();
                _process = null;
            }

            // Let the output readers drain before the log closes.
            await Task.Delay(50);
            lock (_gate)
            {
                _log?.Dispose();
                _log = null;
            }
        }
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output that arrives after the cluster was torn down.
            }
        }
    }
}
