namespace DynamoKad.Api;

/// <summary>
/// The size limits both client APIs check before coordinating: a key or value the storage engine would refuse
/// must be a 400 / INVALID_ARGUMENT naming the field, not a replica failure reported as a missed quorum.
/// The limits are the storage engine's own (<c>DynamoKad:Storage:MaxKeyBytes</c> / <c>MaxValueBytes</c>).
/// </summary>
public sealed class ClientRequestLimits(int maxKeyBytes, int maxValueBytes)
{
    public const int DefaultMaxKeyBytes = 1024;
    public const int DefaultMaxValueBytes = 1024 * 1024;

    /// <summary>Room for everything in a request besides the key and value (context, quorum, framing).</summary>
    public const int Overhead = 64 * 1024;

    public int MaxKeyBytes { get; } = maxKeyBytes;

    public int MaxValueBytes { get; } = maxValueBytes;

    /// <summary>The largest request body or gRPC message a client request may need.</summary>
    public int MaxRequestBytes => MaxKeyBytes + MaxValueBytes + Overhead;

    /// <summary>Why <paramref name="key"/> is not acceptable, or null.</summary>
    public string? CheckKey(int keyLength) =>
        keyLength == 0 ? $"key must not be empty; a key is 1 to {MaxKeyBytes} bytes."
        : keyLength > MaxKeyBytes ? $"key is {keyLength} bytes; a key may be at most {MaxKeyBytes} bytes."
        : null;

    public string? CheckValue(long valueLength) =>
        valueLength > MaxValueBytes ? $"value is {valueLength} bytes; a value may be at most {MaxValueBytes} bytes." : null;

    public static ClientRequestLimits FromConfiguration(IConfiguration configuration) => new(
        configuration.GetValue("DynamoKad:Storage:MaxKeyBytes", DefaultMaxKeyBytes),
        configuration.GetValue("DynamoKad:Storage:MaxValueBytes", DefaultMaxValueBytes));
}
