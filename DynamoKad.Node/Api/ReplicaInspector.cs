using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Transport;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace DynamoKad.Api;

/// <summary>
/// The replica inspector (Admin.InspectKey and <c>GET /v1/kv/{key}/replicas</c>): the key's preference list and
/// its sloppy-quorum fallbacks, each asked what it holds locally (Admin.GetLocalKey, under the replica deadline),
/// and every hint for the key those nodes keep. Fallbacks are listed only when they hold something.
/// </summary>
internal sealed class ReplicaInspector(
    IReplicaPlacement placement,
    LocalKeyReader local,
    PeerChannelPool channels,
    IOptions<ReplicationOptions> options,
    ILogger<ReplicaInspector> logger)
{
    /// <param name="n">The preference list length; the node's N when null.</param>
    /// <exception cref="QuorumValidationException"><paramref name="n"/> is out of range.</exception>
    public async Task<KeyInspection> InspectAsync(byte[] key, int? n, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var length = n ?? settings.N;
        if (length is < 1 or > QuorumSettings.MaxN)
        {
            throw new QuorumValidationException($"n must be between 1 and {QuorumSettings.MaxN}; got {length}.");
        }

        var keyId = NodeId.ForKey(key);
        var candidates = await placement.GetPreferenceCandidatesAsync(keyId, length + settings.FallbackCandidates, cancellationToken);
        var answers = await Task.WhenAll(candidates.Select((peer, index) => AskAsync(peer, index < length, key, cancellationToken)));

        var inspection = new KeyInspection { KeyId = keyId.ToString() };
        foreach (var (holding, hints) in answers)
        {
            if (holding.Preferred || holding.Versions.Count > 0 || hints.Count > 0)
            {
                inspection.Replicas.Add(holding);
            }

            inspection.Hints.AddRange(hints);
        }

        return inspection;
    }

    private async Task<(ReplicaHolding Holding, IReadOnlyList<HintHolding> Hints)> AskAsync(
        ReplicaPeer peer, bool preferred, byte[] key, CancellationToken cancellationToken)
    {
        var holding = new ReplicaHolding { NodeId = peer.Id.ToString(), Address = peer.Address, Preferred = preferred };
        try
        {
            LocalKey answer;
            if (peer.Id == local.Self)
            {
                answer = await local.ReadAsync(key, cancellationToken);
            }
            else
            {
                var client = new Admin.AdminClient(channels.GetInvoker(peer.Address));
                var deadline = DateTime.UtcNow.AddMilliseconds(options.Value.ReplicaTimeoutMs);
                answer = await client.GetLocalKeyAsync(
                    new GetLocalKeyRequest { Key = ByteString.CopyFrom(key) }, deadline: deadline, cancellationToken: cancellationToken);
            }

            holding.Reachable = true;
            holding.Versions.AddRange(answer.Versions);
            return (holding, [.. answer.Hints]);
        }
        catch (RpcException ex)
        {
            logger.LogDebug("Replica inspector: {Peer} did not answer: {Status}", peer.Id.ToShortString(), ex.Status);
            holding.Reachable = false;
            holding.Error = $"{ex.StatusCode}: {ex.Status.Detail}";
            return (holding, []);
        }
    }
}
