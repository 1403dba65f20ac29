using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace DynamoKad.Replication;

/// <summary>
/// The opaque causal context a read returns and a write or delete sends back (Dynamo §4.4 "context"):
/// base64url of [format version][encoded vector clock][HMAC-SHA256 of the two]. The MAC key is derived
/// (HKDF-SHA256) from the cluster secret, so any node of the cluster accepts a context any other node
/// issued, and a client cannot forge a clock that would silently discard versions it never saw.
/// Without a secret a fixed development key is used: tokens are then integrity-checked but forgeable
/// by anyone who reads this source, which is acceptable only on a developer machine.
/// </summary>
public sealed class CausalContextCodec
{
    public const byte TokenVersion = 1;
    private const int MacBytes = 32;
    private static readonly byte[] DevelopmentKey = Encoding.ASCII.GetBytes("dynamokad-development-causal-context-key");
    private static readonly byte[] KeyInfo = Encoding.ASCII.GetBytes("dynamokad causal context v1");

    private readonly byte[] _key;

    public CausalContextCodec(string? clusterSecret)
    {
        var secret = string.IsNullOrEmpty(clusterSecret) ? DevelopmentKey : Encoding.UTF8.GetBytes(clusterSecret);
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: KeyInfo);
        UsesDevelopmentKey = string.IsNullOrEmpty(clusterSecret);
    }

    public bool UsesDevelopmentKey { get; }

    // One keyed HMAC per thread, reset after each use: the one-shot HMACSHA256.HashData set the key up (two SHA-256
    // blocks and an OpenSSL context) again for every token, on every put and get.
    [ThreadStatic]
    private static IncrementalHash? _threadHmac;

    [ThreadStatic]
    private static CausalContextCodec? _threadHmacOwner;

    private void Mac(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        if (!ReferenceEquals(_threadHmacOwner, this) || _threadHmac is null)
        {
            _threadHmac?.Dispose();
            _threadHmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
            _threadHmacOwner = this;
        }

        _threadHmac.AppendData(payload);
        _threadHmac.GetHashAndReset(destination);
    }

    public string Encode(VectorClock clock)
    {
        var payload = new byte[1 + clock.EncodedLength + MacBytes];
        payload[0] = TokenVersion;
        clock.WriteTo(payload.AsSpan(1));
        Mac(payload.AsSpan(0, payload.Length - MacBytes), payload.AsSpan(payload.Length - MacBytes));
        return Base64Url.EncodeToString(payload);
    }

    /// <summary>The clock in <paramref name="token"/>; the empty clock for an empty token (a blind write).</summary>
    /// <exception cref="InvalidCausalContextException">The token is not one this cluster issued, unchanged.</exception>
    public VectorClock Decode(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return VectorClock.Empty;
        }

        byte[] payload;
        try
        {
            payload = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            throw new InvalidCausalContextException("context is not a base64url token returned by a read.");
        }

        if (payload.Length < 1 + 2 + MacBytes)
        {
            throw new InvalidCausalContextException($"context is truncated ({payload.Length} bytes).");
        }

        if (payload[0] != TokenVersion)
        {
            throw new InvalidCausalContextException($"context has unknown version {payload[0]}; this node understands version {TokenVersion}.");
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Mac(payload.AsSpan(0, payload.Length - MacBytes), expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, payload.AsSpan(payload.Length - MacBytes)))
        {
            throw new InvalidCausalContextException("context failed its integrity check: it was altered or issued by another cluster.");
        }

        try
        {
            var clock = VectorClock.Read(payload.AsSpan(1, payload.Length - 1 - MacBytes), out var consumed);
            if (consumed != payload.Length - 1 - MacBytes)
            {
                throw new FormatException("trailing bytes");
            }

            return clock;
        }
        catch (FormatException ex)
        {
            throw new InvalidCausalContextException($"context is malformed: {ex.Message}");
        }
    }
}
