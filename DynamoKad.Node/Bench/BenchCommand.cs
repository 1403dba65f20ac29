using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace DynamoKad.Bench;

/// <summary>
/// <c>bench</c>: a closed-loop load generator against DynamoKad, etcd or the gRPC echo floor, with the same
/// callers, keys and values for each. Progress goes to stderr; the summary and then one JSON line to stdout.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var target = new Option<BenchTargetKind>("--target") { Description = "dynamokad, etcd or echo.", DefaultValueFactory = _ => BenchTargetKind.DynamoKad };
        var endpoints = new Option<string[]>("--endpoint")
        {
            Description = "A target endpoint (http://host:port); repeatable, or comma-separated. Callers are spread over all.",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var op = new Option<BenchOperation>("--op") { Description = "put, get or mixed.", DefaultValueFactory = _ => BenchOperation.Put };
        var readRatio = new Option<double>("--read-ratio") { Description = "Mixed only: the fraction of gets.", DefaultValueFactory = _ => 0.5 };
        var keys = new Option<int>("--keys") { Description = "Keyspace size (keys chosen uniformly).", DefaultValueFactory = _ => 10_000 };
        var keySize = new Option<int>("--key-size") { Description = "Key size in bytes.", DefaultValueFactory = _ => 16 };
        var valueSize = new Option<int>("--value-size") { Description = "Value size in bytes.", DefaultValueFactory = _ => 100 };
        var concurrency = new Option<int>("--concurrency", "-c") { Description = "Closed-loop callers.", DefaultValueFactory = _ => 64 };
        var connections = new Option<int>("--connections") { Description = "HTTP/2 connections per endpoint.", DefaultValueFactory = _ => 1 };
        var duration = new Option<double>("--duration") { Description = "Measured seconds.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds (load, not measured).", DefaultValueFactory = _ => 2 };
        var timeout = new Option<double>("--timeout") { Description = "Deadline of each request in seconds.", DefaultValueFactory = _ => 10 };
        var preload = new Option<bool?>("--preload") { Description = "Write every key once first (default: yes for get and mixed)." };
        var linearizable = new Option<bool>("--linearizable") { Description = "etcd: linearizable gets instead of serializable ones." };
        var blindWrites = new Option<bool>("--blind-writes") { Description = "DynamoKad: put without the last causal context (every put becomes a sibling)." };
        var readQuorum = new Option<int?>("--r") { Description = "DynamoKad: R for each get (a per-request override; default: the cluster's)." };
        var writeQuorum = new Option<int?>("--w") { Description = "DynamoKad: W for each put (a per-request override; default: the cluster's)." };
        var clientKind = new Option<string>("--client")
        {
            Description = "DynamoKad: unary (one call per request) or session (requests pipelined on one KeyValue.Session call per endpoint).",
            DefaultValueFactory = _ => "unary",
        };
        clientKind.AcceptOnlyFromAmong("unary", "session");
        var serverPids = new Option<int[]>("--server-pid")
        {
            Description = "A server process on this machine whose CPU time to report; repeatable.",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        var seed = new Option<int>("--seed") { Description = "Seed of key choice and value bytes.", DefaultValueFactory = _ => 1 };

        var command = new Command("bench", "Load-generate against DynamoKad, etcd or the gRPC echo floor.")
        {
            target, endpoints, op, readRatio, keys, keySize, valueSize, concurrency, connections, duration, warmup, timeout,
            preload, linearizable, blindWrites, readQuorum, writeQuorum, clientKind, serverPids, seed,
        };
        command.Subcommands.Add(CreateEchoServer());
        command.Subcommands.Add(CreateFrameEcho());
        command.SetAction(async (result, cancellationToken) =>
        {
            var operation = result.GetValue(op);
            BenchSettings settings;
            try
            {
                settings = new BenchSettings
                {
                    Target = result.GetValue(target),
                    Endpoints = ParseEndpoints(result.GetValue(endpoints) ?? []),
                    Operation = operation,
                    ReadRatio = result.GetValue(readRatio),
                    Keys = Positive(result.GetValue(keys), "--keys"),
                    KeySize = Positive(result.GetValue(keySize), "--key-size"),
                    ValueSize = result.GetValue(valueSize),
                    Concurrency = Positive(result.GetValue(concurrency), "--concurrency"),
                    ConnectionsPerEndpoint = Positive(result.GetValue(connections), "--connections"),
                    Duration = TimeSpan.FromSeconds(result.GetValue(duration)),
                    Warmup = TimeSpan.FromSeconds(result.GetValue(warmup)),
                    Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)),
                    Preload = result.GetValue(preload) ?? operation != BenchOperation.Put,
                    Serializable = !result.GetValue(linearizable),
                    BlindWrites = result.GetValue(blindWrites),
                    ReadQuorum = Quorum(result.GetValue(readQuorum), "--r", result.GetValue(target)),
                    WriteQuorum = Quorum(result.GetValue(writeQuorum), "--w", result.GetValue(target)),
                    Session = SessionClient(result.GetValue(clientKind), result.GetValue(target)),
                    Seed = result.GetValue(seed),
                    ServerPids = result.GetValue(serverPids) ?? [],
                };
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"bench: {ex.Message}");
                return 2;
            }

            await using IBenchTarget client = settings.Target switch
            {
                BenchTargetKind.Etcd => new EtcdBenchTarget(settings),
                BenchTargetKind.Echo => new EchoBenchTarget(settings),
                _ => new DynamoKadBenchTarget(settings),
            };
            var outcome = await new BenchRunner(settings, client, Console.Error).RunAsync(cancellationToken);
            await Console.Out.WriteLineAsync(outcome.ToText());
            await Console.Out.WriteLineAsync(outcome.ToJson());
            return outcome.Operations > 0 ? 0 : 1;
        });
        return command;
    }

    internal static IReadOnlyList<Uri> ParseEndpoints(IEnumerable<string> values)
    {
        var endpoints = values
            .SelectMany(value => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(value => value.Contains("://", StringComparison.Ordinal) ? value : "http://" + value)
            .Select(value => Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : throw new ArgumentException($"not an endpoint: {value}"))
            .ToList();
        return endpoints.Count > 0 ? endpoints : throw new ArgumentException("give at least one --endpoint");
    }

    internal static int? Quorum(int? value, string option, BenchTargetKind target) =>
        value switch
        {
            null => null,
            _ when target != BenchTargetKind.DynamoKad => throw new ArgumentException($"{option} applies to the dynamokad target only"),
            < 1 => throw new ArgumentException($"{option} must be at least 1; got {value}"),
            _ => value,
        };

    internal static bool SessionClient(string? client, BenchTargetKind target) =>
        client switch
        {
            null or "unary" => false,
            "session" when target == BenchTargetKind.DynamoKad => true,
            "session" => throw new ArgumentException("--client session applies to the dynamokad target only"),
            _ => throw new ArgumentException($"--client must be unary or session; got {client}"),
        };

    private static Command CreateEchoServer()
    {
        var listen = new Option<string>("--listen") { Description = "host:port to serve the echo on.", DefaultValueFactory = _ => "127.0.0.1:7090" };
        var relay = new Option<string?>("--relay")
        {
            Description = "host:port of a `bench frame-echo`: every echo makes one round trip there first (the floor of one replica hop).",
        };
        var frameEcho = new Option<string?>("--frame-echo")
        {
            Description = "host:port to serve a frame echo on as well, in this process (for a ring of relaying echo servers).",
        };
        var command = new Command("echo-server", "Serve the gRPC echo, the floor the load generator compares against.") { listen, relay, frameEcho };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!TryParseHostPort(result.GetValue(listen), out var endpoint))
            {
                await Console.Error.WriteLineAsync($"bench echo-server: --listen is not a host:port: {result.GetValue(listen)}");
                return 2;
            }

            IPEndPoint? relayTo = null;
            if (result.GetValue(relay) is { } relayText && !TryParseHostPort(relayText, out relayTo))
            {
                await Console.Error.WriteLineAsync($"bench echo-server: --relay is not a host:port: {relayText}");
                return 2;
            }

            IPEndPoint? frameEchoAt = null;
            if (result.GetValue(frameEcho) is { } frameEchoText && !TryParseHostPort(frameEchoText, out frameEchoAt))
            {
                await Console.Error.WriteLineAsync($"bench echo-server: --frame-echo is not a host:port: {frameEchoText}");
                return 2;
            }

            try
            {
                return await EchoServer.RunAsync(endpoint, relayTo, frameEchoAt, cancellationToken);
            }
            catch (System.Net.Sockets.SocketException ex) when (relayTo is not null || frameEchoAt is not null)
            {
                await Console.Error.WriteLineAsync($"bench echo-server: the relay to {relayTo} or the frame echo on {frameEchoAt} failed: {ex.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command CreateFrameEcho()
    {
        var listen = new Option<string>("--listen") { Description = "host:port to serve the frame echo on.", DefaultValueFactory = _ => "127.0.0.1:7091" };
        var command = new Command("frame-echo", "Send back every length-prefixed frame (the far end of `echo-server --relay`).") { listen };
        command.SetAction(async (result, cancellationToken) =>
        {
            if (!TryParseHostPort(result.GetValue(listen), out var endpoint))
            {
                await Console.Error.WriteLineAsync($"bench frame-echo: --listen is not a host:port: {result.GetValue(listen)}");
                return 2;
            }

            return await FrameEchoServer.RunAsync(endpoint, cancellationToken);
        });
        return command;
    }

    /// <summary>An IP address and an explicit port (IPEndPoint.TryParse alone takes "127.0.0.1" as port 0).</summary>
    private static bool TryParseHostPort(string? text, [NotNullWhen(true)] out IPEndPoint? endpoint)
    {
        if (IPEndPoint.TryParse(text ?? string.Empty, out endpoint) && endpoint.Port > 0)
        {
            return true;
        }

        endpoint = null;
        return false;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be positive, got {value}");
}
