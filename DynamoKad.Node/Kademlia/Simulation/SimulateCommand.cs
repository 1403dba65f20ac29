using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

namespace DynamoKad.Kademlia.Simulation;

/// <summary>
/// <c>simulate</c>: run the deterministic overlay simulation and print a summary, then one JSON line.
/// The elapsed time goes to stderr so that stdout is identical for the same seed.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var nodes = new Option<int>("--nodes") { Description = "Nodes that join the overlay.", DefaultValueFactory = _ => 1000 };
        var lookups = new Option<int>("--lookups") { Description = "Random lookups to run and check.", DefaultValueFactory = _ => 1000 };
        var k = new Option<int>("--k") { Description = "Bucket size and lookup result size.", DefaultValueFactory = _ => 20 };
        var alpha = new Option<int>("--alpha") { Description = "Requests in flight per lookup.", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice.", DefaultValueFactory = _ => 42 };
        var churn = new Option<double>("--churn") { Description = "Fraction of nodes failing halfway through the lookups (e.g. 0.1).", DefaultValueFactory = _ => 0 };
        var loss = new Option<double>("--loss") { Description = "Probability that a message is lost (e.g. 0.01).", DefaultValueFactory = _ => 0 };
        var values = new Option<int>("--values") { Description = "DHT records to STORE, then FIND_VALUE after the lookups.", DefaultValueFactory = _ => 0 };

        var command = new Command("simulate", "Simulate a Kademlia overlay in memory and measure its lookups.")
        {
            nodes, lookups, k, alpha, seed, churn, loss, values,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new SimulationSettings(
                result.GetValue(nodes), result.GetValue(lookups), result.GetValue(k), result.GetValue(alpha),
                result.GetValue(seed), result.GetValue(churn), result.GetValue(loss), result.GetValue(values));
            var problem = Validate(settings);
            if (problem is not null)
            {
                await Console.Error.WriteLineAsync($"simulate: {problem}");
                return 2;
            }

            var stopwatch = Stopwatch.StartNew();
            var report = await new KademliaSimulator(settings, line => Console.Error.WriteLine($"simulate: {line}")).RunAsync(cancellationToken);
            stopwatch.Stop();

            var c = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(c, $"Kademlia simulation: {report.Nodes} nodes, k={report.K}, alpha={report.Alpha}, seed={report.Seed}, churn={report.Churn}, loss={report.Loss}"));
            Console.WriteLine(string.Create(c, $"  joins:   {report.JoinMessagesMean} messages per join, {report.TableSizeMean} contacts per table on average"));
            Console.WriteLine(string.Create(c, $"  lookups: {report.Lookups}, exact k closest live nodes in {report.SuccessRate:P2}"));
            Console.WriteLine(string.Create(c, $"  hops (rounds): p50 {report.HopsP50}, p99 {report.HopsP99}, max {report.HopsMax}; rpcs: p50 {report.RpcsP50}, p99 {report.RpcsP99}"));
            Console.WriteLine(string.Create(c, $"  recall:  {report.Recall:P2} of the true k closest live nodes found on average"));
            if (report.FailedNodes > 0 || report.LostMessages > 0)
            {
                Console.WriteLine(string.Create(c, $"  faults:  {report.FailedNodes} nodes failed, {report.LostMessages} of {report.Messages} messages lost"));
            }

            if (report.SuccessRateAfterChurn is { } afterChurn)
            {
                Console.WriteLine(string.Create(c, $"  churn:   exact right after the failures {afterChurn:P2}; after one bucket refresh {report.SuccessRateAfterRefresh:P2}"));
            }

            if (report.Values > 0)
            {
                Console.WriteLine(string.Create(c, $"  values:  {report.Values} stored on {report.ValuesStoredMean} nodes each, found {report.ValuesFoundRate:P2}; hops p50 {report.ValueHopsP50}, p99 {report.ValueHopsP99}; rpcs p50 {report.ValueRpcsP50}, p99 {report.ValueRpcsP99}"));
            }

            await Console.Error.WriteLineAsync(string.Create(c, $"simulate: finished in {stopwatch.Elapsed.TotalSeconds:0.0} s"));
            Console.WriteLine(report.ToJson());
            return 0;
        });
        return command;
    }

    private static string? Validate(SimulationSettings s) =>
        s.Nodes < 1 ? $"--nodes must be at least 1; got {s.Nodes}."
        : s.Lookups < 0 ? $"--lookups must not be negative; got {s.Lookups}."
        : s.K < 1 ? $"--k must be at least 1; got {s.K}."
        : s.Alpha < 1 || s.Alpha > s.K ? $"--alpha must be between 1 and --k ({s.K}); got {s.Alpha}."
        : s.Churn is < 0 or >= 1 ? $"--churn must be in [0, 1); got {s.Churn}."
        : s.Loss is < 0 or >= 1 ? $"--loss must be in [0, 1); got {s.Loss}."
        : s.Values < 0 ? $"--values must not be negative; got {s.Values}."
        : null;
}
