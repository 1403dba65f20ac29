using DynamoKad.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DynamoKad.AppHost;

/// <summary>
/// Resource commands that break a node on purpose: each calls the node's own Admin fault API with the
/// cluster secret, so the faults act on the node's real gRPC transport (client and server interceptors),
/// exactly as the DynamoKad dashboard and the end-to-end tests apply them. Aspire's built-in
/// stop / start / restart cover crashes.
/// </summary>
internal static class DynamoKadCommands
{
    public const string Partition = "dynamokad-partition";
    public const string Heal = "dynamokad-heal";
    public const string AddLatency = "dynamokad-latency";
    public const string Drop = "dynamokad-drop";

    public const uint LatencyMs = 200;
    public const double DropRate = 0.3;

    /// <summary>The gRPC metadata header that carries the cluster secret (see the node's Security/ClusterSecret).</summary>
    public const string SecretHeader = "x-dynamokad-secret";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    public static IResourceBuilder<ProjectResource> WithFaultCommands(
        this IResourceBuilder<ProjectResource> node, IResourceBuilder<ParameterResource> secret)
    {
        var grpc = node.GetEndpoint(DynamoKadResourceExtensions.GrpcEndpoint);

        node.WithFaultCommand(Partition, "Partition", "Cut this node off from every other node (both directions).", "PlugDisconnected",
            grpc, secret, _ => new FaultState { Isolated = true });
        node.WithFaultCommand(Heal, "Heal", "Remove every fault of this node.", "PlugConnected",
            grpc, secret, _ => new FaultState());
        node.WithFaultCommand(AddLatency, $"Add latency ({LatencyMs} ms)", $"Delay every node-to-node call this node makes or serves by {LatencyMs} ms.", "Clock",
            grpc, secret, current => With(current, f => f.LatencyMs = LatencyMs));
        node.WithFaultCommand(Drop, $"Drop {DropRate:P0}", $"Drop {DropRate:P0} of the node-to-node calls this node makes or serves.", "ArrowTrendingDown",
            grpc, secret, current => With(current, f => f.DropRate = DropRate));
        return node;
    }

    private static FaultState With(FaultState current, Action<FaultState> change)
    {
        var next = current.Clone();
        change(next);
        return next;
    }

    private static void WithFaultCommand(
        this IResourceBuilder<ProjectResource> node,
        string name,
        string displayName,
        string description,
        string icon,
        EndpointReference grpc,
        IResourceBuilder<ParameterResource> secret,
        Func<FaultState, FaultState> faults)
    {
        node.WithCommand(
            name,
            displayName,
            context => SetFaultsAsync(context, grpc, secret.Resource, faults),
            new CommandOptions
            {
                Description = description,
                IconName = icon,
                // Only a running node has an Admin API to call.
                UpdateState = context => context.ResourceSnapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                    ? ResourceCommandState.Enabled
                    : ResourceCommandState.Disabled,
            });
    }

    private static async Task<ExecuteCommandResult> SetFaultsAsync(
        ExecuteCommandContext context, EndpointReference grpc, ParameterResource secret, Func<FaultState, FaultState> faults)
    {
        var logger = context.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DynamoKadCommands));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
            timeout.CancelAfter(CallTimeout);
            var headers = new Metadata { { SecretHeader, await secret.GetValueAsync(timeout.Token) ?? string.Empty } };

            using var channel = GrpcChannel.ForAddress(grpc.Url);
            var admin = new Admin.AdminClient(channel);
            var options = new CallOptions(headers, cancellationToken: timeout.Token);
            var current = await admin.GetFaultsAsync(new GetFaultsRequest(), options);
            var applied = await admin.SetFaultsAsync(new SetFaultsRequest { Faults = faults(current) }, options);

            logger.LogInformation("{Node}: faults now {Faults}", context.ResourceName, applied);
            return CommandResults.Success();
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or HttpRequestException or InvalidOperationException)
        {
            logger.LogWarning(ex, "{Node}: setting faults failed", context.ResourceName);
            return CommandResults.Failure(ex is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : ex.Message);
        }
    }
}
