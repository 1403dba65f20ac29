using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Controls;

/// <summary>A small SVG line chart over a time window: enough for rates and latencies, no charting library.</summary>
public partial class LineChart : ComponentBase
{
    private const int Width = 480;
    private const int Height = 160;
    private const int Left = 44;
    private const int Right = Width - 6;
    private const int Top = 8;
    private const int Bottom = Height - 8;

    private double _max = 1;

    [Parameter, EditorRequired]
    public string Title { get; set; } = string.Empty;

    [Parameter]
    public string Unit { get; set; } = string.Empty;

    [Parameter, EditorRequired]
    public IReadOnlyList<ChartSeries> Series { get; set; } = [];

    [Parameter, EditorRequired]
    public DateTimeOffset End { get; set; }

    [Parameter]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    private string WindowText => Window.TotalMinutes >= 1 ? $"{Window.TotalMinutes:0} min" : $"{Window.TotalSeconds:0} s";

    protected override void OnParametersSet()
    {
        // A flat zero line still gets a scale of 1, so an idle cluster draws a line along the axis.
        _max = Math.Max(1, Series.SelectMany(s => s.Points).Select(p => p.Value).DefaultIfEmpty(0).Max() * 1.1);
    }

    private string Points(ChartSeries series) =>
        string.Join(' ', series.Points.Select(p => $"{X(p.At)},{Y(p.Value)}"));

    private string X(DateTimeOffset at) =>
        Math.Max(Left, Right - ((End - at).TotalSeconds / Window.TotalSeconds * (Right - Left))).ToString("0.#", CultureInfo.InvariantCulture);

    private string Y(double value) =>
        (Bottom - (value / _max * (Bottom - Top))).ToString("0.#", CultureInfo.InvariantCulture);

    private static string Format(double value) => value switch
    {
        >= 100 => value.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("0.#", CultureInfo.InvariantCulture),
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };
}

/// <summary>One line of a chart.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

public readonly record struct ChartPoint(DateTimeOffset At, double Value);
