using Microsoft.Extensions.Options;

namespace DynamoKad.Hosting;

/// <summary>Start-up validation of <see cref="NodeOptions"/>: every message names the setting.</summary>
internal sealed class NodeOptionsValidator : IValidateOptions<NodeOptions>
{
    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        var failures = new List<string>();
        if (!NodeOptions.TryParseEndPoint(options.Listen, out var grpc))
        {
            failures.Add($"{NodeOptions.SectionName}:Listen must be host:port (e.g. 127.0.0.1:7000); got '{options.Listen}'.");
        }

        if (!NodeOptions.TryParseEndPoint(options.Http, out var http))
        {
            failures.Add($"{NodeOptions.SectionName}:Http must be host:port (e.g. 127.0.0.1:7080); got '{options.Http}'.");
        }

        if (grpc is not null && http is not null && grpc.Equals(http))
        {
            failures.Add($"{NodeOptions.SectionName}:Listen and {NodeOptions.SectionName}:Http must differ; both are '{options.Listen}'.");
        }

        if (!string.IsNullOrWhiteSpace(options.AdvertisedAddress)
            && (!Uri.TryCreate(options.AdvertisedAddress, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"{NodeOptions.SectionName}:AdvertisedAddress must be an absolute http(s) URL; got '{options.AdvertisedAddress}'.");
        }

        if (options.ShutdownTimeoutSeconds is < 1 or > 600)
        {
            failures.Add($"{NodeOptions.SectionName}:ShutdownTimeoutSeconds must be 1-600; got {options.ShutdownTimeoutSeconds}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
