using System.CommandLine;
using System.Globalization;
using DynamoKad.Protos.V1;
using DynamoKad.Security;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace DynamoKad.Cli;

/// <summary><c>cluster status</c>: the nodes a node knows and its bucket fill, from its gRPC Admin service.</summary>
internal static class ClusterCommand
{
    public const string DefaultNode = "http://127.0.0.1:7000";

    public static Command Create(TextWriter? output = null, TextWriter? error = null)
    {
        var node = new Option<string>("--node") { Description = "The node's gRPC endpoint.", DefaultValueFactory = _ => DefaultNode };
        var secret = new Option<string?>("--secret")
        {
            Description = $"The cluster secret (default: the {ClusterSecret.EnvironmentVariable} environment variable).",
        };
        var status = new Command("status", "The nodes the contacted node knows (id, address, last seen, state) and its k-bucket fill.") { node, secret };
        status.SetAction(async (result, ct) =>
        {
            var err = error ?? Console.Error;
            var address = result.GetValue(node) ?? DefaultNode;
            try
            {
                using var channel = GrpcChannel.ForAddress(address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address);
                var key = result.GetValue(secret) ?? Environment.GetEnvironmentVariable(ClusterSecret.EnvironmentVariable);
                var admin = new Admin.AdminClient(channel.Intercept(new ClusterSecretClientInterceptor(new ClusterSecret(key))));
                var deadline = DateTime.UtcNow.AddSeconds(10);
                var info = await admin.GetNodeInfoAsync(new GetNodeInfoRequest(), deadline: deadline, cancellationToken: ct);
                var view = await admin.GetClusterViewAsync(new GetClusterViewRequest(), deadline: deadline, cancellationToken: ct);
                var table = await admin.GetRoutingTableAsync(new GetRoutingTableRequest(), deadline: deadline, cancellationToken: ct);
                await WriteAsync(output ?? Console.Out, info, view, table);
                return CliExitCodes.Success;
            }
            catch (UriFormatException)
            {
                await err.WriteLineAsync($"error: --node must be a URL like {DefaultNode}; got '{address}'.");
                return CliExitCodes.BadRequest;
            }
            catch (RpcException ex)
            {
                var hint = ex.StatusCode == StatusCode.Unauthenticated ? $" (pass --secret or set {ClusterSecret.EnvironmentVariable})" : string.Empty;
                await err.WriteLineAsync($"error: {address}: {ex.StatusCode}: {ex.Status.Detail}{hint}");
                return ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded ? CliExitCodes.Unavailable : CliExitCodes.Failed;
            }
        });
        return new Command("cluster", "Look at the cluster through one node.") { status };
    }

    private static async Task WriteAsync(TextWriter writer, NodeInfo info, ClusterView view, RoutingTableView table)
    {
        var name = string.IsNullOrEmpty(info.Name) ? string.Empty : $" ({info.Name})";
        await writer.WriteLineAsync($"node {Short(info.NodeId)}{name} at {info.Address}, HTTP {info.HttpAddress}, N={info.N} R={info.R} W={info.W}, up {info.Uptime.ToTimeSpan():d\\.hh\\:mm\\:ss}");
        if (!string.IsNullOrEmpty(table.BootstrapStatus))
        {
            await writer.WriteLineAsync($"bootstrap: {table.BootstrapStatus}");
        }

        await writer.WriteLineAsync();
        var now = DateTimeOffset.UtcNow;
        var rows = view.Members.Select(m => new[]
        {
            Short(m.NodeId),
            m.Address,
            m.State,
            m.State == "self" ? "-" : Ago(now - m.LastSeen.ToDateTimeOffset()),
            m.State == "self" ? "-" : m.BucketIndex.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        await WriteTableAsync(writer, ["ID", "ADDRESS", "STATE", "LAST SEEN", "BUCKET"], rows);

        await writer.WriteLineAsync();
        await writer.WriteLineAsync($"routing table: {table.TotalContacts} contacts in {table.Buckets.Count} buckets (k={table.K}, alpha={table.Alpha})");
        var buckets = table.Buckets.Select(b => new[]
        {
            b.Index.ToString(CultureInfo.InvariantCulture),
            $"{b.Contacts.Count}/{table.K}",
            new string('#', (int)Math.Ceiling(20.0 * b.Contacts.Count / Math.Max(table.K, 1))),
            b.ReplacementCacheSize.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        await WriteTableAsync(writer, ["BUCKET", "FILL", string.Empty, "REPLACEMENTS"], buckets);
    }

    private static async Task WriteTableAsync(TextWriter writer, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            await writer.WriteLineAsync(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;

    private static string Ago(TimeSpan elapsed) =>
        elapsed < TimeSpan.FromSeconds(1) ? "now"
        : elapsed < TimeSpan.FromMinutes(1) ? $"{elapsed.TotalSeconds:0}s ago"
        : elapsed < TimeSpan.FromHours(1) ? $"{elapsed.TotalMinutes:0}m ago"
        : $"{elapsed.TotalHours:0}h ago";
}
