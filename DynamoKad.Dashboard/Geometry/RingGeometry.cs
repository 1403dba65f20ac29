using System.Globalization;

namespace DynamoKad.Dashboard.Geometry;

/// <summary>
/// Places 160-bit ids on a circle: angle = id / 2^160 of a full turn, clockwise from the top. The top 64 bits
/// decide the angle; the other 96 move a point by less than 2^-64 of a turn, far below a pixel.
/// </summary>
public static class RingGeometry
{
    private const double TwoToThe64 = 18446744073709551616.0;

    /// <summary>The id's position as a fraction of the ring, in [0, 1).</summary>
    public static double Fraction(string hexId)
    {
        ArgumentNullException.ThrowIfNull(hexId);
        if (hexId.Length < 16 || !ulong.TryParse(hexId.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var top))
        {
            throw new ArgumentException($"Not a hex id: '{hexId}'.", nameof(hexId));
        }

        return top / TwoToThe64;
    }

    /// <summary>The id's angle in degrees, 0 at the top, growing clockwise.</summary>
    public static double Degrees(string hexId) => Fraction(hexId) * 360.0;

    /// <summary>The point at <paramref name="fraction"/> of the ring on a circle of the given centre and radius (SVG coordinates, y down).</summary>
    public static RingPoint Point(double fraction, double centerX, double centerY, double radius)
    {
        var radians = (fraction * 2 * Math.PI) - (Math.PI / 2);
        return new RingPoint(centerX + (radius * Math.Cos(radians)), centerY + (radius * Math.Sin(radians)));
    }

    public static RingPoint Point(string hexId, double centerX, double centerY, double radius) =>
        Point(Fraction(hexId), centerX, centerY, radius);

    /// <summary>
    /// The marker radius for <paramref name="nodes"/> nodes: large when few, shrinking so 30 or more do not
    /// overlap into a blob (the circumference divided among the nodes, bounded).
    /// </summary>
    public static double MarkerRadius(int nodes, double ringRadius) =>
        nodes <= 0 ? 10 : Math.Clamp(Math.PI * ringRadius / nodes * 0.45, 4, 12);
}

/// <summary>A point in SVG coordinates; <see cref="SvgX"/> and <see cref="SvgY"/> format with a dot whatever the culture.</summary>
public readonly record struct RingPoint(double X, double Y)
{
    public string SvgX => X.ToString("0.##", CultureInfo.InvariantCulture);

    public string SvgY => Y.ToString("0.##", CultureInfo.InvariantCulture);
}
