using DynamoKad.Hosting;
using DynamoKad.Kademlia;

namespace DynamoKad.Tests.Hosting;

public sealed class NodeIdentityTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dynamokad-id-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void FirstStartCreatesAnIdAndWritesItToTheDataDirectory()
    {
        var id = NodeIdentity.LoadOrCreate(_dir);

        Assert.False(id.IsZero);
        var text = File.ReadAllText(Path.Combine(_dir, NodeIdentity.FileName)).Trim();
        Assert.Equal(id.ToString(), text);
        Assert.Equal(40, text.Length);
    }

    [Fact]
    public void RestartKeepsTheSameId()
    {
        var first = NodeIdentity.LoadOrCreate(_dir);
        var second = NodeIdentity.LoadOrCreate(_dir, () => throw new InvalidOperationException("must not generate again"));

        Assert.Equal(first, second);
    }

    [Fact]
    public void DifferentDataDirectoriesGetDifferentIds()
    {
        var a = NodeIdentity.LoadOrCreate(Path.Combine(_dir, "a"));
        var b = NodeIdentity.LoadOrCreate(Path.Combine(_dir, "b"));

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void ADamagedIdFileStopsTheNodeInsteadOfMintingANewId()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, NodeIdentity.FileName), "not-a-node-id");

        var ex = Assert.Throws<InvalidDataException>(() => NodeIdentity.LoadOrCreate(_dir));
        Assert.Contains(NodeIdentity.FileName, ex.Message);
    }

    [Fact]
    public void TheGeneratorIsUsedOnlyOnce()
    {
        var calls = 0;
        var fixedId = NodeId.Parse("0123456789abcdef0123456789abcdef01234567");
        NodeId Generate()
        {
            calls++;
            return fixedId;
        }

        Assert.Equal(fixedId, NodeIdentity.LoadOrCreate(_dir, Generate));
        Assert.Equal(fixedId, NodeIdentity.LoadOrCreate(_dir, Generate));
        Assert.Equal(1, calls);
    }
}
