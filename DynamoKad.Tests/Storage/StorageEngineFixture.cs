using System.Text;
using DynamoKad.Storage;

namespace DynamoKad.Tests.Storage;

/// <summary>Opens engines in a temp directory with a manual checkpoint (no background timing in tests).</summary>
internal static class StorageEngineFixture
{
    public static StorageOptions Options(string dir, Action<StorageOptions>? configure = null)
    {
        var options = new StorageOptions
        {
            DataDir = dir,
            SegmentSizeBytes = 16 * 1024,
            // An hour: tests checkpoint explicitly with CheckpointAsync.
            CheckpointIntervalMs = 3_600_000,
        };
        configure?.Invoke(options);
        return options;
    }

    public static StorageEngine Open(string dir, Action<StorageOptions>? configure = null) =>
        StorageEngine.Open(Options(dir, configure));

    public static byte[] Key(string key) => Encoding.UTF8.GetBytes(key);

    public static StoredVersion Version(string value, byte clock = 1, bool tombstone = false) =>
        new([clock], Encoding.UTF8.GetBytes(value), tombstone);

    public static ValueTask<IReadOnlyList<StoredVersion>> PutAsync(this StorageEngine engine, string key, string value, byte clock = 1) =>
        engine.ApplyAsync(Key(key), _ => [Version(value, clock)]);

    public static async Task<string?> GetAsync(this StorageEngine engine, string key)
    {
        var versions = await engine.ReadAsync(Key(key));
        return versions.Count == 0 ? null : string.Join("|", versions.Select(v => Encoding.UTF8.GetString(v.Value)));
    }
}
