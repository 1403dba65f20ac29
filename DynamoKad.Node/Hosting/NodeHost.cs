using Microsoft.Extensions.Options;

namespace DynamoKad.Hosting;

/// <summary>Builds and runs the node's web host.</summary>
internal static class NodeHost
{
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        // No file watcher on the configuration: a data node reads its settings at start, and the watcher (recursive
        // over the content root) woke up for every WAL write when the data directory sat below the working directory.
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        if (overrides is { Count: > 0 })
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.AddServiceDefaults();
        builder.AddDynamoKadNode();

        var app = builder.Build();
        // Every options class validated at once, before mapping resolves services that read their own
        // options and would stop the start at the first problem: the operator sees every wrong setting.
        app.Services.GetService<IStartupValidator>()?.Validate();
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
        catch (Exception ex) when (IsStartupProblem(ex))
        {
            // Some options are read while the host is built (the shutdown timeout), so validation can fail here too.
            await ReportAsync(ex);
            return 2;
        }

        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (IsStartupProblem(ex))
        {
            await ReportAsync(ex);
            return 2;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static bool IsStartupProblem(Exception ex) => ex switch
    {
        OptionsValidationException or InvalidDataException or InvalidOperationException => true,
        AggregateException aggregate => aggregate.Flatten().InnerExceptions.All(IsStartupProblem),
        _ => false,
    };

    /// <summary>One line per problem, each naming the setting (start-up validation) or the file (a damaged id).</summary>
    private static async Task ReportAsync(Exception ex)
    {
        switch (ex)
        {
            case OptionsValidationException validation:
                foreach (var failure in validation.Failures)
                {
                    await Console.Error.WriteLineAsync($"dynamokad: invalid configuration: {failure}");
                }

                break;
            case AggregateException aggregate:
                foreach (var inner in aggregate.Flatten().InnerExceptions)
                {
                    await ReportAsync(inner);
                }

                break;
            default:
                await Console.Error.WriteLineAsync($"dynamokad: {ex.Message}");
                break;
        }
    }
}
