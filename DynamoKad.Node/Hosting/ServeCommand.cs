using System.CommandLine;

namespace DynamoKad.Hosting;

/// <summary><c>serve</c>: run a node. Flags override configuration (appsettings.json, DynamoKad__* env vars).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "gRPC endpoint host:port (default 127.0.0.1:7000)." };
        var http = new Option<string?>("--http") { Description = "HTTP endpoint host:port (default 127.0.0.1:7080)." };
        var seeds = new Option<string[]>("--seed") { Description = "A seed node's gRPC address; repeatable.", Arity = ArgumentArity.ZeroOrMore };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data directory (default data/<grpc port>)." };
        var advertise = new Option<string?>("--advertise") { Description = "The gRPC URL peers should dial (default http://<listen>)." };
        var name = new Option<string?>("--name") { Description = "A human name for the node." };

        var command = new Command("serve", "Run a node (the default verb).")
        {
            listen, http, seeds, dataDir, advertise, name,
        };
        // Anything else passes through to the host's configuration, e.g. --DynamoKad:Replication:W 2.
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (result, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, string? value)
            {
                if (!string.IsNullOrWhiteSpace(value))
                {
                    overrides[key] = value;
                }
            }

            Set($"{NodeOptions.SectionName}:Listen", result.GetValue(listen));
            Set($"{NodeOptions.SectionName}:Http", result.GetValue(http));
            Set($"{NodeOptions.SectionName}:DataDir", result.GetValue(dataDir));
            Set($"{NodeOptions.SectionName}:AdvertisedAddress", result.GetValue(advertise));
            Set($"{NodeOptions.SectionName}:Name", result.GetValue(name));
            var seedValues = result.GetValue(seeds) ?? [];
            for (var i = 0; i < seedValues.Length; i++)
            {
                overrides[$"{ClusterOptions.SectionName}:Seeds:{i}"] = seedValues[i];
            }

            return await NodeHost.RunAsync([.. result.UnmatchedTokens], overrides, cancellationToken);
        });
        return command;
    }
}
