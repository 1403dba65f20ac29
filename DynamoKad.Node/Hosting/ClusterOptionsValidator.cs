using Microsoft.Extensions.Options;

namespace DynamoKad.Hosting;

/// <summary>Start-up validation of <see cref="ClusterOptions"/>: every message names the setting.</summary>
internal sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    /// <summary>Shorter secrets are guessable; the AppHost generates longer ones.</summary>
    public const int MinSecretLength = 16;

    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        var failures = new List<string>();
        if (options.Secret is { } secret && secret.Length > 0 && (string.IsNullOrWhiteSpace(secret) || secret.Trim().Length < MinSecretLength))
        {
            failures.Add($"{ClusterOptions.SectionName}:Secret must be at least {MinSecretLength} non-blank characters (or unset for a loopback-only node); got {secret.Trim().Length}.");
        }

        for (var i = 0; i < options.Seeds.Count; i++)
        {
            var seed = options.Seeds[i];
            if (string.IsNullOrWhiteSpace(seed))
            {
                continue;
            }

            var candidate = seed.Contains("://", StringComparison.Ordinal) ? seed : "http://" + seed;
            if (!Uri.TryCreate(candidate, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || (uri.IsDefaultPort && !seed.Contains("://", StringComparison.Ordinal)))
            {
                failures.Add($"{ClusterOptions.SectionName}:Seeds:{i} must be host:port or an http(s) URL of a node's gRPC endpoint; got '{seed}'.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
