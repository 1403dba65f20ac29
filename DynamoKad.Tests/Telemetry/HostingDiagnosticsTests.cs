using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DynamoKad.Tests.Telemetry;

/// <summary>
/// ASP.NET Core makes an Activity and a logging scope per request whenever its hosting diagnostics logger is on at any
/// level; the service defaults switch that logger off when nothing exports telemetry, and only then.
/// </summary>
public sealed class HostingDiagnosticsTests
{
    private const string Category = Microsoft.Extensions.Hosting.Extensions.HostingDiagnosticsCategory;

    [Fact]
    public void WithNothingExportingTheRequestDiagnosticsLoggerIsOffAndOtherLoggersAreNot()
    {
        using var host = Build([]);
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger(Category).IsEnabled(LogLevel.Critical));
        Assert.True(loggers.CreateLogger("DynamoKad.Replication.QuorumCoordinator").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void WithAnExporterTheRequestDiagnosticsLoggerStaysOn()
    {
        using var host = Build(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:1" });

        Assert.True(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category).IsEnabled(LogLevel.Critical));
    }

    [Fact]
    public void AnOperatorWhoSetsTheCategoryGetsTheLevelTheySet()
    {
        using var host = Build(new() { [$"Logging:LogLevel:{Category}"] = "Information" });

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        Assert.True(logger.IsEnabled(LogLevel.Information));
        Assert.False(logger.IsEnabled(LogLevel.Debug));
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.ConfigureOpenTelemetry();
        return builder.Build();
    }
}
