using Microsoft.Extensions.Options;

namespace DynamoKad.Hosting;

/// <summary>Builds and runs the node's web host.</summary>
internal static class NodeHost
{
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (overrides is { Count: > 0 })
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.AddServiceDefaults();
        builder.AddDynamoKadNode();

        var app = builder.Build();
        app.MapDynamoKadNode();
        return app;
    }

    public static async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string?> overrides, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = Build(args, overrides);
        }
        catch (InvalidOperationException ex)
        {
            await Console.Error.WriteLineAsync($"dynamokad: {ex.Message}");
            return 2;
        }

        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException ex)
        {
            // Start-up validation: one line per impossible setting, each naming it.
            foreach (var failure in ex.Failures)
            {
                await Console.Error.WriteLineAsync($"dynamokad: invalid configuration: {failure}");
            }

            return 2;
        }
        catch (InvalidDataException ex)
        {
            await Console.Error.WriteLineAsync($"dynamokad: {ex.Message}");
            return 2;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
