extern alias DashboardApp;

using DashboardApp::DynamoKad.Dashboard.Geometry;

namespace DynamoKad.Tests.Dashboard;

public sealed class RingGeometryTests
{
    [Theory]
    [InlineData("0000000000000000000000000000000000000000", 0.0)]
    [InlineData("4000000000000000000000000000000000000000", 0.25)]
    [InlineData("8000000000000000000000000000000000000000", 0.5)]
    [InlineData("c000000000000000000000000000000000000000", 0.75)]
    public void AnIdSitsAtItsFractionOfTheRing(string id, double fraction) =>
        Assert.Equal(fraction, RingGeometry.Fraction(id), precision: 12);

    [Fact]
    public void TheLargestIdSitsJustBeforeZero() =>
        Assert.InRange(RingGeometry.Fraction(new string('f', 40)), 0.999999, 1.0 - 1e-18);

    [Theory]
    [InlineData(0.0, 100, 0)]     // top
    [InlineData(0.25, 200, 100)]  // right: the ring runs clockwise
    [InlineData(0.5, 100, 200)]   // bottom
    [InlineData(0.75, 0, 100)]    // left
    public void PointsRunClockwiseFromTheTop(double fraction, double x, double y)
    {
        var point = RingGeometry.Point(fraction, 100, 100, 100);
        Assert.Equal(x, point.X, precision: 9);
        Assert.Equal(y, point.Y, precision: 9);
    }

    [Fact]
    public void AnIdThatIsNotHexIsRejected() =>
        Assert.Throws<ArgumentException>(() => RingGeometry.Fraction("not-a-node-id-at-all"));

    [Fact]
    public void MarkersShrinkAsTheRingFillsButStayVisible()
    {
        var three = RingGeometry.MarkerRadius(3, 150);
        var thirty = RingGeometry.MarkerRadius(30, 150);
        var thousand = RingGeometry.MarkerRadius(1000, 150);
        Assert.True(thirty < three, $"{thirty} < {three}");
        // 30 markers must not overlap: each gets 2*pi*r/30 of circumference.
        Assert.True(2 * thirty < 2 * Math.PI * 150 / 30, $"30 markers of radius {thirty} overlap");
        Assert.Equal(4, thousand);
    }

    [Fact]
    public void AKeyIdIsItsSha1InLowercaseHex() =>
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", KeyPlacement.KeyId("abc"));

    [Fact]
    public void ThePreferenceListIsTheNClosestIdsByXorDistance()
    {
        var key = "8000000000000000000000000000000000000000";
        string[] nodes =
        [
            "0000000000000000000000000000000000000001", // distance 2^159 + 1: farthest
            "8000000000000000000000000000000000000003", // 3
            "8000000000000000000000000000000000000001", // 1: closest
            "c000000000000000000000000000000000000000", // 2^158
        ];
        Assert.Equal(
            ["8000000000000000000000000000000000000001", "8000000000000000000000000000000000000003", "c000000000000000000000000000000000000000"],
            KeyPlacement.PreferenceList(key, nodes, 3));
    }
}
