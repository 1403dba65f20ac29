using DynamoKad.Hosting;
using DynamoKad.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DynamoKad.Tests.Storage;

public sealed class StorageOptionsValidatorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void DefaultsAreValid()
    {
        Assert.True(new StorageOptionsValidator().Validate(null, new StorageOptions()).Succeeded);
        Assert.Equal(DurabilityMode.Always, new StorageOptions().Durability);
    }

    [Theory]
    [InlineData("FsyncIntervalMs", 0)]
    [InlineData("SegmentSizeBytes", 100)]
    [InlineData("CheckpointIntervalMs", -5)]
    [InlineData("CheckpointMaxPendingWrites", 0)]
    [InlineData("MaxKeyBytes", 0)]
    [InlineData("MaxValueBytes", 0)]
    public void EachImpossibleValueIsReportedNamingItsSetting(string setting, long value)
    {
        var options = new StorageOptions();
        var property = typeof(StorageOptions).GetProperty(setting)!;
        property.SetValue(options, Convert.ChangeType(value, property.PropertyType, System.Globalization.CultureInfo.InvariantCulture));

        var result = new StorageOptionsValidator().Validate(null, options);

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith($"DynamoKad:Storage:{setting} must be", failure, StringComparison.Ordinal);
        Assert.Contains(value.ToString(System.Globalization.CultureInfo.InvariantCulture), failure, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownDurabilityModeIsReported()
    {
        var result = new StorageOptionsValidator().Validate(null, new StorageOptions { Durability = (DurabilityMode)42 });
        Assert.Contains("DynamoKad:Storage:Durability must be Always, Batch or None", Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheNodeRegistersAnEngineInItsDataDirectoryAndValidatesOptions()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DynamoKad:Node:DataDir"] = _dir.Path,
            ["DynamoKad:Storage:Durability"] = "Batch",
        }).Build());
        services.AddOptions<NodeOptions>().BindConfiguration(NodeOptions.SectionName);
        services.AddDynamoKadStorage();
        await using (var provider = services.BuildServiceProvider())
        {
            var engine = provider.GetRequiredService<IStorageEngine>();
            Assert.Same(engine, provider.GetRequiredService<StorageEngine>());
            Assert.Equal(Path.Combine(_dir.Path, StorageServiceCollectionExtensions.DefaultSubdirectory), ((StorageEngine)engine).DataDir);
            await engine.ApplyAsync("k"u8.ToArray(), _ => [new StoredVersion([1], "v"u8.ToArray(), false)]);
        }

        var bad = new ServiceCollection();
        bad.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DynamoKad:Storage:SegmentSizeBytes"] = "1",
        }).Build());
        bad.AddDynamoKadStorage();
        await using var badProvider = bad.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => badProvider.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains("DynamoKad:Storage:SegmentSizeBytes must be between", error.Message, StringComparison.Ordinal);
    }
}
