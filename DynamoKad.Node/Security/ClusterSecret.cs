using System.Security.Cryptography;
using System.Text;

namespace DynamoKad.Security;

/// <summary>
/// The cluster's shared secret (<c>DynamoKad:Cluster:Secret</c>): every node-to-node and Admin call carries it in
/// the <see cref="MetadataKey"/> gRPC header. Without one configured, nothing is checked and the node binds only
/// to loopback addresses (see <see cref="LoopbackBinding"/>).
/// </summary>
public sealed class ClusterSecret
{
    public const string MetadataKey = "x-dynamokad-secret";

    /// <summary>The environment variable the CLI reads when <c>--secret</c> is not given.</summary>
    public const string EnvironmentVariable = "DYNAMOKAD_SECRET";

    private readonly byte[]? _digest;

    public ClusterSecret(string? secret)
    {
        Value = string.IsNullOrWhiteSpace(secret) ? null : secret;
        _digest = Value is null ? null : Digest(Value);
    }

    /// <summary>The secret itself, or null when none is configured.</summary>
    public string? Value { get; }

    public bool IsConfigured => Value is not null;

    /// <summary>
    /// Whether <paramref name="presented"/> is the secret. Both sides are hashed first and compared in constant
    /// time, so neither the content nor the length of the secret leaks through timing.
    /// Always true when no secret is configured.
    /// </summary>
    public bool Matches(string? presented)
    {
        if (_digest is null)
        {
            return true;
        }

        return presented is not null && CryptographicOperations.FixedTimeEquals(Digest(presented), _digest);
    }

    private static byte[] Digest(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
