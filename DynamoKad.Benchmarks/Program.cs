using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project DynamoKad.Benchmarks -- --filter '*' --job short
// Every benchmark reports allocated bytes per operation: the hot paths of a put should allocate little.
var config = DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
BenchmarkSwitcher.FromAssembly(typeof(DynamoKad.Benchmarks.NodeIdBenchmarks).Assembly).Run(args, config);
