using System.Globalization;
using DynamoKad.Protos.V1;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Controls;

/// <summary>A routing table as bars: one per k-bucket index (0..159), as tall as its contacts, with k marked.</summary>
public partial class BucketChart : ComponentBase
{
    private const int Width = 640;
    private const int Height = 180;
    private const int Left = 36;
    private const int Right = Width - 8;
    private const int Top = 10;
    private const int Bottom = Height - 30;
    private const double BarWidth = (Right - Left) / 160.0;

    [Parameter, EditorRequired]
    public IReadOnlyList<KBucketView> Buckets { get; set; } = [];

    /// <summary>Kademlia's k: a bucket's capacity.</summary>
    [Parameter]
    public int K { get; set; } = 20;

    private static double X(int index) => Left + (index * BarWidth);

    private double Y(int contacts) => Bottom - ((Bottom - Top) * Math.Min(contacts, K) / (double)Math.Max(K, 1));

    private static string Fmt(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
