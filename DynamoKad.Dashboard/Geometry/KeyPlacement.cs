using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace DynamoKad.Dashboard.Geometry;

/// <summary>
/// Where a key lives: its id is SHA-1(key) and its preference list the N nodes closest to that id by XOR
/// distance (Kademlia §2.1, Dynamo §4.3). The dashboard asks the replica inspector for the real list; this is
/// the fallback when a node cannot answer it.
/// </summary>
public static class KeyPlacement
{
    public static string KeyId(string key) =>
        Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>XOR distance between two hex ids, as an unsigned big integer.</summary>
    public static BigInteger Distance(string a, string b)
    {
        var x = Convert.FromHexString(a);
        var y = Convert.FromHexString(b);
        if (x.Length != y.Length)
        {
            throw new ArgumentException("Ids of different lengths.", nameof(b));
        }

        var xor = new byte[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            xor[i] = (byte)(x[i] ^ y[i]);
        }

        return new BigInteger(xor, isUnsigned: true, isBigEndian: true);
    }

    /// <summary>The <paramref name="n"/> ids closest to <paramref name="keyId"/>, closest first.</summary>
    public static IReadOnlyList<string> PreferenceList(string keyId, IEnumerable<string> nodeIds, int n) =>
        nodeIds.Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(id => Distance(keyId, id))
            .Take(n)
            .ToList();
}
