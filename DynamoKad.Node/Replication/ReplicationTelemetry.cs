using System.Diagnostics;

namespace DynamoKad.Replication;

/// <summary>
/// The spans of the path of a write (ARCHITECTURE.md): <c>kv.put</c> / <c>kv.get</c> / <c>kv.delete</c> on the
/// coordinator, each with a <c>replica.write</c> or <c>replica.read</c> child per replica call.
/// </summary>
public static class ReplicationTelemetry
{
    public const string SourceName = Telemetry.DynamoKadTelemetry.Name;

    public static ActivitySource Source => Telemetry.DynamoKadTelemetry.Source;

    public static Activity? StartRequest(string name, QuorumSettings quorum, byte[] key)
    {
        var activity = Source.StartActivity(name);
        if (activity is { IsAllDataRequested: true })
        {
            // Where the key sits on the ring, not the key itself (keys may be sensitive; SHA-1 prefixes are not).
            activity.SetTag("dynamokad.key_id", Kademlia.NodeId.ForKey(key).ToShortString());
        }

        activity?.SetTag("dynamokad.n", quorum.N);
        activity?.SetTag("dynamokad.r", quorum.R);
        activity?.SetTag("dynamokad.w", quorum.W);
        return activity;
    }

    public static Activity? StartReplicaCall(string name, ReplicaPeer peer, bool hinted) =>
        Tag(Source.StartActivity(name, ActivityKind.Client), peer, hinted);

    /// <summary>
    /// A replica call under the client request's span, from any thread (a hedge timer, a late fallback). A request
    /// that has already ended can't become <see cref="Activity.Current"/> (Activity throws and catches an
    /// InvalidOperationException for that, each time), so the call is parented by its context instead.
    /// </summary>
    public static Activity? StartReplicaCall(string name, ReplicaPeer peer, bool hinted, Activity? request)
    {
        if (request is { IsStopped: true })
        {
            return Tag(Source.StartActivity(name, ActivityKind.Client, request.Context), peer, hinted);
        }

        if (request is not null)
        {
            Activity.Current = request;
        }

        return StartReplicaCall(name, peer, hinted);
    }

    private static Activity? Tag(Activity? activity, ReplicaPeer peer, bool hinted)
    {
        activity?.SetTag("node", peer.Id.ToString());
        activity?.SetTag("server.address", peer.Address);
        if (hinted)
        {
            activity?.SetTag("dynamokad.hinted", true);
        }

        return activity;
    }

    public static void Outcome(Activity? activity, string outcome)
    {
        activity?.SetTag("dynamokad.outcome", outcome);
        if (outcome != "ok")
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }
}
