using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using DynamoKad.Protos.V1;
using DynamoKad.Replication;
using DynamoKad.Transport;
using Google.Protobuf;

namespace DynamoKad.Tests.Replication;

/// <summary>The replica link's framing (<see cref="ReplicaLink"/>) and what a node does with a link it cannot read.</summary>
public sealed class ReplicaLinkTests
{
    [Fact]
    public void APreambleIsRecognisedOnlyWhenWhole()
    {
        Assert.True(ReplicaLink.StartsWithPreamble(new ReadOnlySequence<byte>("DKLINK01 and more"u8.ToArray())));
        Assert.Null(ReplicaLink.StartsWithPreamble(new ReadOnlySequence<byte>("DKLI"u8.ToArray())));
        Assert.False(ReplicaLink.StartsWithPreamble(new ReadOnlySequence<byte>("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray())));
        Assert.False(ReplicaLink.StartsWithPreamble(new ReadOnlySequence<byte>("DKX"u8.ToArray())));
    }

    [Fact]
    public async Task AMessageReadsBackOnlyOnceAllOfItHasArrived()
    {
        var frame = new ReplicaStreamFrame();
        frame.Items.Add(new ReplicaStreamItem { Id = 7, Read = new ReplicaReadRequest { Key = ByteString.CopyFromUtf8("key") } });
        var pipe = new Pipe();
        ReplicaLink.Write(pipe.Writer, frame);
        await pipe.Writer.FlushAsync();
        var bytes = (await pipe.Reader.ReadAsync()).Buffer.ToArray();

        var partial = new ReadOnlySequence<byte>(bytes[..^1]);
        var whole = new ReadOnlySequence<byte>([.. bytes, .. bytes]);

        Assert.False(ReplicaLink.TryRead<ReplicaStreamFrame>(ref partial, ReplicaStreamFrame.Parser, out _));
        Assert.Equal(bytes.Length - 1, partial.Length);
        Assert.True(ReplicaLink.TryRead<ReplicaStreamFrame>(ref whole, ReplicaStreamFrame.Parser, out var read));
        Assert.Equal(frame, read);
        Assert.Equal(bytes.Length, whole.Length);
    }

    [Fact]
    public void ALengthOverTheLimitIsRefused()
    {
        var huge = new ReadOnlySequence<byte>([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);

        var error = Assert.Throws<InvalidDataException>(() => ReplicaLink.TryRead<ReplicaStreamFrame>(ref huge, ReplicaStreamFrame.Parser, out _));

        Assert.Contains("announced 2147483647 bytes (at most 16777216)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BytesThatDoNotParseAreRefused()
    {
        var junk = new ReadOnlySequence<byte>([0, 0, 0, 3, 0xff, 0xff, 0xff]);

        var error = Assert.Throws<InvalidDataException>(() => ReplicaLink.TryRead<ReplicaStreamFrame>(ref junk, ReplicaStreamFrame.Parser, out _));

        Assert.Contains("does not parse as ReplicaStreamFrame", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task ReplicaTrafficGoesOverLinksUnlessTheyAreOff(bool links, int linksPerNode)
    {
        await using var cluster = await GrpcTestCluster.StartAsync(seed: 6, nodes: 3, replicaLinks: links);
        foreach (var node in cluster.Nodes)
        {
            var key = System.Text.Encoding.UTF8.GetBytes("from " + node.Id.ToShortString());
            await node.Coordinator.PutAsync(key, "v"u8.ToArray(), null, new QuorumOverrides(W: 3), CancellationToken.None);
        }

        // Every node wrote to both others at W=3. One network sends for the whole test cluster, so each node serves
        // one link (from it), or none when the traffic went over stream calls.
        Assert.All(cluster.Nodes, node => Assert.Equal(linksPerNode, cluster.LinksServed(node.Id)));
    }

    [Fact]
    public async Task ALinkThatSendsJunkIsClosedAndTheNodeServesOn()
    {
        await using var cluster = await GrpcTestCluster.StartAsync(seed: 5, nodes: 3);
        var node = cluster.Nodes[0];
        var endpoint = cluster.Endpoint(node.Id);
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port);
            await socket.SendAsync("DKLINK01"u8.ToArray().Concat(new byte[] { 0x7f, 0xff, 0xff, 0xff }).ToArray());
            var buffer = new byte[64];
            var closed = await socket.ReceiveAsync(buffer).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, closed);
        }

        var key = "after junk"u8.ToArray();
        var put = await node.Coordinator.PutAsync(key, "still here"u8.ToArray(), null, QuorumOverrides.None, CancellationToken.None);
        var get = await cluster.Nodes[1].Coordinator.GetAsync(key, new QuorumOverrides(R: 3), CancellationToken.None);

        Assert.True(put.Acks >= 2);
        Assert.Equal("still here", System.Text.Encoding.UTF8.GetString(Assert.Single(get.Siblings).Value));
    }
}
