#:package Microsoft.Diagnostics.Tracing.TraceEvent
// Where a node's allocations come from: reads the GC allocation samples (GCAllocationTick, one per ~100 KB
// allocated, with the type and the stack of the allocation that crossed the mark) of a nettrace written by
// `dotnet-trace collect --providers Microsoft-Windows-DotNETRuntime:0x1:5`, and prints the sampled bytes by type,
// by type and the first DynamoKad frame on the stack, and per operation when told how many the trace covered.
//
//   dotnet run bench/alloc_report.cs -- TRACE.nettrace [OPERATIONS] [TOP]
//
// bench/profile.sh runs it (PROFILE_ALLOC=1). The samples are a statistical picture: a type is charged for the
// ~100 KB before the allocation that was sampled, so small shares (under ~0.5 %) are noise.
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: dotnet run bench/alloc_report.cs -- TRACE.nettrace [OPERATIONS] [TOP]");
    return 2;
}

var operations = args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 0;
var top = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 30;
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byType = new Dictionary<string, long>();
var byFrame = new Dictionary<string, long>();
long total = 0;
foreach (var data in log.Events)
{
    if (data is not GCAllocationTickTraceData tick)
    {
        continue;
    }

    var bytes = tick.AllocationAmount64;
    total += bytes;
    byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + bytes;
    var ours = "(no DynamoKad frame)";
    for (var frame = data.CallStack(); frame is not null; frame = frame.Caller)
    {
        var name = frame.CodeAddress.FullMethodName;
        if (name is not null && name.StartsWith("DynamoKad", StringComparison.Ordinal))
        {
            ours = name.Length > 140 ? name[..140] : name;
            break;
        }
    }

    var key = $"{Short(tick.TypeName)} <- {ours}";
    byFrame[key] = byFrame.GetValueOrDefault(key) + bytes;
}

if (total == 0)
{
    Console.Error.WriteLine("alloc_report: no allocation samples in the trace (collect with Microsoft-Windows-DotNETRuntime:0x1:5)");
    return 1;
}

Console.WriteLine(operations > 0
    ? $"sampled allocations: {total:N0} B, {total / operations:N0} B per operation ({operations:N0} operations)"
    : $"sampled allocations: {total:N0} B");
Console.WriteLine("--- by type");
foreach (var (type, bytes) in byType.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"{100.0 * bytes / total,6:F1}%  {Short(type)}");
}

Console.WriteLine("--- by type and the first DynamoKad frame");
foreach (var (key, bytes) in byFrame.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"{100.0 * bytes / total,6:F1}%  {key}");
}

return 0;

static string Short(string type) => type.Length > 120 ? type[..120] : type;
