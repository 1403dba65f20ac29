using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using DynamoKad.Protos.V1;
using DynamoKad.Security;
using DynamoKad.Tests.Cli;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace DynamoKad.Tests.MultiHost;

/// <summary>
/// The multi-host path without a second machine: three nodes, each in its own Linux network namespace (its own
/// interfaces, addresses and loopback) joined by veth pairs on a bridge, as three hosts on one LAN. The nodes
/// listen on their LAN addresses (so a cluster secret is required), and find each other through one seed name
/// that resolves to all three addresses (the namespaces' /etc/hosts, as a headless service's DNS would).
/// Needs root and iproute2; it fails, with the reason, where it cannot create namespaces.
/// </summary>
[Trait("Category", "MultiHost")]
public sealed class NetworkNamespaceTests
{
    private const string Secret = "multi host namespace test secret";
    private const int NodeCount = 3;

    [Fact]
    public async Task NodesInSeparateNetworkNamespacesJoinThroughADnsSeedAndServePutAndGetAcrossThem()
    {
        using var network = await NamespaceNetwork.CreateAsync(NodeCount);
        var processes = new List<NodeProcess>();
        var dataRoot = Path.Combine(Path.GetTempPath(), "dynamokad-netns-" + Guid.NewGuid().ToString("N"));
        try
        {
            for (var i = 0; i < NodeCount; i++)
            {
                var address = network.Addresses[i];
                processes.Add(NodeProcess.Start(
                    [
                        "serve", "--listen", $"{address}:7000", "--http", $"{address}:7080",
                        "--data-dir", Path.Combine(dataRoot, $"node{i}"), "--name", $"host{i}",
                        "--seed", $"{NamespaceNetwork.SeedName}:7000",
                    ],
                    new Dictionary<string, string>
                    {
                        ["DynamoKad__Cluster__Secret"] = Secret,
                        ["Logging__LogLevel__DynamoKad.Kademlia"] = "Information",
                    },
                    ["ip", "netns", "exec", network.Namespaces[i]]));
            }

            for (var i = 0; i < NodeCount; i++)
            {
                await processes[i].WaitHealthyAsync($"http://{network.Addresses[i]}:7080", TimeSpan.FromSeconds(90));
            }

            await WaitForFullTablesAsync(network, TimeSpan.FromSeconds(60), () => string.Join("\n---\n", processes.Select(p => p.Output)));
            // The one seed name stood for all three nodes (in whatever order the resolver sorted them).
            Assert.All(processes, p => Assert.Contains(
                p.Output.Split('\n'),
                line => line.Contains("resolve to", StringComparison.Ordinal)
                    && network.Addresses.All(a => line.Contains($"http://{a}:7000", StringComparison.Ordinal))));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            // Full routing tables are not yet every node placing keys on all three (a node learns members for placement
            // as it hears from them): wait, within a bound, until node 0 takes a W=3 write of another key.
            await WaitForAllReplicasAsync(http, network, TimeSpan.FromSeconds(30), () => string.Join("\n---\n", processes.Select(p => p.Output)));
            var put = await http.PutAsync($"http://{network.Addresses[0]}:7080/v1/kv/across?w=3", new ByteArrayContent("hosts"u8.ToArray()));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());

            var get = await http.GetFromJsonAsync<JsonElement>($"http://{network.Addresses[2]}:7080/v1/kv/across?r=3");
            Assert.Equal("hosts", Assert.Single(get.GetProperty("siblings").EnumerateArray()).GetProperty("text").GetString());

            // The inspector is a snapshot with a deadline per replica: a replica that was slow to answer it once is
            // asked again, within a bound, before the test concludes that it does not hold the write.
            JsonElement replicas = default;
            var inspectUntil = DateTime.UtcNow.AddSeconds(20);
            do
            {
                replicas = await http.GetFromJsonAsync<JsonElement>($"http://{network.Addresses[1]}:7080/v1/kv/across/replicas");
                if (replicas.GetProperty("replicas").EnumerateArray().Count(r => r.GetProperty("versions").GetArrayLength() == 1) == NodeCount)
                {
                    break;
                }

                await Task.Delay(500);
            }
            while (DateTime.UtcNow < inspectUntil);

            Assert.True(
                replicas.GetProperty("replicas").EnumerateArray().Count(r => r.GetProperty("versions").GetArrayLength() == 1) == NodeCount,
                $"every replica should hold the W=3 write; the inspector says: {replicas}");
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }

            if (Directory.Exists(dataRoot))
            {
                Directory.Delete(dataRoot, recursive: true);
            }
        }
    }

    private static async Task WaitForAllReplicasAsync(HttpClient http, NamespaceNetwork network, TimeSpan timeout, Func<string> logs)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var put = await http.PutAsync($"http://{network.Addresses[0]}:7080/v1/kv/warm-up?w=3", new ByteArrayContent("w"u8.ToArray()));
            if (put.IsSuccessStatusCode)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No W=3 write succeeded within {timeout}: {await put.Content.ReadAsStringAsync()}\n{logs()}");
            }

            await Task.Delay(500);
        }
    }

    private static async Task WaitForFullTablesAsync(NamespaceNetwork network, TimeSpan timeout, Func<string> logs)
    {
        var deadline = DateTime.UtcNow + timeout;
        var channels = network.Addresses.Select(a => GrpcChannel.ForAddress($"http://{a}:7000")).ToList();
        try
        {
            while (true)
            {
                var counts = new List<uint>();
                foreach (var channel in channels)
                {
                    var admin = new Admin.AdminClient(channel.Intercept(new ClusterSecretClientInterceptor(new ClusterSecret(Secret))));
                    counts.Add((await admin.GetRoutingTableAsync(new GetRoutingTableRequest(), deadline: DateTime.UtcNow.AddSeconds(5))).TotalContacts);
                }

                if (counts.All(c => c == NodeCount - 1))
                {
                    return;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Routing tables did not fill within {timeout}: {string.Join(", ", counts)}\n{logs()}");
                }

                await Task.Delay(250);
            }
        }
        finally
        {
            channels.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Network namespaces on one bridge, each with a hosts file naming all of them as the seed.</summary>
    private sealed class NamespaceNetwork : IDisposable
    {
        public const string SeedName = "dynamokad-seeds";
        private readonly string _bridge;
        private readonly List<string> _created = [];

        private NamespaceNetwork(string suffix, int subnet)
        {
            _bridge = $"dkbr{suffix}";
            Subnet = subnet;
        }

        public int Subnet { get; }

        public List<string> Namespaces { get; } = [];

        public List<string> Addresses { get; } = [];

        public static async Task<NamespaceNetwork> CreateAsync(int count)
        {
            if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            {
                Assert.Fail($"This test creates Linux network namespaces and must run as root on Linux (user '{Environment.UserName}', {Environment.OSVersion}).");
            }

            var suffix = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..2]);
            var network = new NamespaceNetwork(suffix, Random.Shared.Next(1, 254));
            try
            {
                await network.BuildAsync(suffix, count);
                return network;
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (var name in Namespaces)
            {
                TryRun("ip", "netns", "del", name); // also removes the veth pair
                var etc = Path.Combine("/etc/netns", name);
                if (Directory.Exists(etc))
                {
                    Directory.Delete(etc, recursive: true);
                }
            }

            TryRun("ip", "link", "del", _bridge);
        }

        private async Task BuildAsync(string suffix, int count)
        {
            await RunAsync("ip", "link", "add", _bridge, "type", "bridge");
            await RunAsync("ip", "addr", "add", $"10.231.{Subnet}.254/24", "dev", _bridge);
            await RunAsync("ip", "link", "set", _bridge, "up");
            for (var i = 0; i < count; i++)
            {
                Addresses.Add($"10.231.{Subnet}.{i + 1}");
            }

            for (var i = 0; i < count; i++)
            {
                var name = $"dkmh{suffix}{i}";
                var (host, peer) = ($"dkh{suffix}{i}", $"dkn{suffix}{i}");
                await RunAsync("ip", "netns", "add", name);
                Namespaces.Add(name);
                await RunAsync("ip", "link", "add", host, "type", "veth", "peer", "name", peer);
                await RunAsync("ip", "link", "set", peer, "netns", name);
                await RunAsync("ip", "link", "set", host, "master", _bridge);
                await RunAsync("ip", "link", "set", host, "up");
                await RunAsync("ip", "netns", "exec", name, "ip", "addr", "add", $"{Addresses[i]}/24", "dev", peer);
                await RunAsync("ip", "netns", "exec", name, "ip", "link", "set", peer, "up");
                await RunAsync("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");

                // `ip netns exec` bind-mounts /etc/netns/NAME/hosts over /etc/hosts inside the namespace only.
                var etc = Path.Combine("/etc/netns", name);
                Directory.CreateDirectory(etc);
                await File.WriteAllLinesAsync(
                    Path.Combine(etc, "hosts"),
                    ["127.0.0.1 localhost", .. Addresses.Select(a => $"{a} {SeedName}")]);
            }
        }

        private static async Task RunAsync(string file, params string[] args)
        {
            var (code, output) = await ExecAsync(file, args);
            if (code != 0)
            {
                throw new InvalidOperationException($"`{file} {string.Join(' ', args)}` failed ({code}): {output}");
            }
        }

        private static void TryRun(string file, params string[] args)
        {
            try
            {
                ExecAsync(file, args).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Best effort: cleanup of something that was never created.
            }
        }

        private static async Task<(int Code, string Output)> ExecAsync(string file, string[] args)
        {
            var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var error = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, (await output) + (await error));
        }
    }
}
