using DynamoKad.Protos.V1;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>Put, Get and Delete through a chosen coordinator, with per-request quorum overrides.</summary>
internal sealed partial class GrpcClusterClient
{
    public Task<PutResponse> PutAsync(string coordinator, string key, string value, string? context, QuorumSettings quorum, CancellationToken cancellationToken = default) =>
        CallAsync(coordinator, KeyValue(coordinator).PutAsync(
            new PutRequest { Key = Bytes(key), Value = Bytes(value), Context = context ?? string.Empty, Quorum = ToProto(quorum) },
            KeyValueCall(cancellationToken)));

    public Task<GetResponse> GetAsync(string coordinator, string key, QuorumSettings quorum, CancellationToken cancellationToken = default) =>
        CallAsync(coordinator, KeyValue(coordinator).GetAsync(
            new GetRequest { Key = Bytes(key), Quorum = ToProto(quorum) },
            KeyValueCall(cancellationToken)));

    public Task<DeleteResponse> DeleteAsync(string coordinator, string key, string? context, QuorumSettings quorum, CancellationToken cancellationToken = default) =>
        CallAsync(coordinator, KeyValue(coordinator).DeleteAsync(
            new DeleteRequest { Key = Bytes(key), Context = context ?? string.Empty, Quorum = ToProto(quorum) },
            KeyValueCall(cancellationToken)));

    private static Quorum ToProto(QuorumSettings quorum)
    {
        var proto = new Quorum();
        if (quorum.N is { } n)
        {
            proto.N = n;
        }

        if (quorum.R is { } r)
        {
            proto.R = r;
        }

        if (quorum.W is { } w)
        {
            proto.W = w;
        }

        return proto;
    }
}
