namespace DynamoKad.Dashboard.Cluster;

/// <summary>How a node is drawn on the ring.</summary>
public enum NodeState
{
    /// <summary>Answers and has no faults.</summary>
    Up,

    /// <summary>Answers, but others hold hints for it or it runs with latency or drops: it is behind.</summary>
    Lagging,

    /// <summary>Answers the dashboard but is cut from some or all of its peers.</summary>
    Partitioned,

    /// <summary>Did not answer GetNodeInfo before the deadline.</summary>
    Down,
}
