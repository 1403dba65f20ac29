using DynamoKad.Protos.V1;
using Microsoft.AspNetCore.Components;

namespace DynamoKad.Dashboard.Components.Controls;

/// <summary>
/// The versions a read returned, side by side with their vector clocks. With more than one (concurrent writes),
/// a person keeps one or writes a merged value; the parent writes it with the read's causal context.
/// </summary>
public partial class SiblingView : ComponentBase
{
    private string _merged = string.Empty;

    [Parameter, EditorRequired]
    public IReadOnlyList<Sibling> Siblings { get; set; } = [];

    /// <summary>Called with the value to write as the resolution.</summary>
    [Parameter]
    public EventCallback<string> OnResolve { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    protected override void OnParametersSet()
    {
        if (string.IsNullOrEmpty(_merged) && Siblings.Count > 1)
        {
            // A starting point: every sibling's text, which the person edits into the merge they mean.
            _merged = string.Join(" | ", Siblings.Select(s => Cluster.ClockFormat.Text(s.Value)));
        }
    }
}
