using System.Text;
using DynamoKad.Kademlia;

namespace DynamoKad.Hosting;

/// <summary>
/// The node's permanent id, generated once and kept in its data directory: a node that restarts
/// with a new id would look like a new node to Kademlia and lose the keys it is responsible for.
/// </summary>
public sealed class NodeIdentity
{
    public const string FileName = "node-id";

    public NodeIdentity(NodeId id, string name)
    {
        Id = id;
        Name = name;
    }

    public NodeId Id { get; }

    public string Name { get; }

    /// <summary>Reads the id from <paramref name="dataDir"/>, or creates and durably writes a new one.</summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a valid id.</exception>
    public static NodeId LoadOrCreate(string dataDir, Func<NodeId>? generate = null)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, FileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path, Encoding.ASCII).Trim();
            // A damaged id file must stop the node: silently minting a new id would orphan its data.
            return NodeId.TryParse(text, out var existing)
                ? existing
                : throw new InvalidDataException(
                    $"The node id file '{Path.GetFullPath(path)}' does not hold a 40-character hex id; fix or remove it.");
        }

        var id = (generate ?? NodeId.RandomSecure)();
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.ASCII.GetBytes(id + "\n"));
            stream.Flush(flushToDisk: true);
        }

        // Rename is atomic: a crash leaves either no id file or a complete one, never half an id.
        File.Move(temp, path, overwrite: false);
        return id;
    }
}
