#:package Microsoft.Diagnostics.Tracing.TraceEvent
// What a node's garbage collections cost: reads the GC events of a nettrace written by `dotnet-trace collect
// --providers Microsoft-Windows-DotNETRuntime:0x1:4` and prints every collection (generation, kind, pause, the part of
// it spent suspending threads, the bytes it promoted, gen0's size before it and the heap after it, and the
// card-marking time, i.e. finding references from older generations into the collected ones), then the totals per
// generation and the share of the trace's time the node was paused.
//
//   dotnet run bench/gc_report.cs -- TRACE.nettrace
//
// bench/profile.sh runs it (PROFILE_GC=1).
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Analysis;
using Microsoft.Diagnostics.Tracing.Analysis.GC;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: dotnet run bench/gc_report.cs -- TRACE.nettrace");
    return 2;
}

using var source = new EventPipeEventSource(args[0]);
source.NeedLoadedDotNetRuntimes();
var collections = new List<TraceGC>();
source.AddCallbackOnProcessStart(process => process.AddCallbackOnDotNetRuntimeLoad(runtime => runtime.GCEnd += (_, gc) => collections.Add(gc)));
source.Process();
var seconds = (source.SessionEndTime - source.SessionStartTime).TotalSeconds;

Console.WriteLine($"{collections.Count} collections in {seconds:F1} s of trace");
Console.WriteLine("gen  kind               pause ms  suspend ms  promoted MB  gen0 before MB  heap after MB  cards ms");
foreach (var gc in collections)
{
    // MarkTimes is indexed by MarkRootType; "older" (index 3) is the card scan of the generations not collected.
    var cards = gc.PerHeapMarkTimes is { Count: > 0 } marks && marks.Values.First().MarkTimes is { Length: > 3 } times && times[3] >= 0
        ? times[3].ToString("F1")
        : "-";
    Console.WriteLine($"{gc.Generation,3}  {gc.Type,-17} {gc.PauseDurationMSec,9:F1} {gc.SuspendDurationMSec,11:F2} {gc.PromotedMB,12:F2} {gc.GenSizeBeforeMB[0],15:F1} {gc.HeapSizeAfterMB,14:F1} {cards,9}");
}

Console.WriteLine();
foreach (var generation in collections.GroupBy(gc => gc.Generation).OrderBy(g => g.Key))
{
    Console.WriteLine($"gen{generation.Key}: {generation.Count()} collections, mean pause {generation.Average(gc => gc.PauseDurationMSec):F1} ms, " +
        $"mean promoted {generation.Average(gc => gc.PromotedMB):F2} MB");
}

var paused = collections.Sum(gc => gc.PauseDurationMSec);
Console.WriteLine($"paused {paused:F0} ms in all: {paused / seconds / 10:F1} % of the trace's time, {collections.Count / seconds:F2} collections per second");
return 0;
