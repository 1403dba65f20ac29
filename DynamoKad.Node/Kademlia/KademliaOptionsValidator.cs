using Microsoft.Extensions.Options;

namespace DynamoKad.Kademlia;

/// <summary>Start-up validation of <see cref="KademliaOptions"/>: every message names the setting.</summary>
internal sealed class KademliaOptionsValidator : IValidateOptions<KademliaOptions>
{
    private const string Prefix = KademliaOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, KademliaOptions options)
    {
        var failures = new List<string>();
        if (options.K is < 1 or > 256)
        {
            failures.Add($"{Prefix}:K must be between 1 and 256 (the paper uses 20); got {options.K}.");
        }

        if (options.Alpha < 1 || options.Alpha > Math.Max(1, options.K))
        {
            failures.Add($"{Prefix}:Alpha must be between 1 and K ({options.K}); got {options.Alpha}.");
        }

        if (options.RpcTimeoutMs is < 10 or > 60_000)
        {
            failures.Add($"{Prefix}:RpcTimeoutMs must be between 10 and 60000 milliseconds; got {options.RpcTimeoutMs}.");
        }

        if (options.LookupDeadlineMs < options.RpcTimeoutMs)
        {
            failures.Add($"{Prefix}:LookupDeadlineMs must be at least RpcTimeoutMs ({options.RpcTimeoutMs}); got {options.LookupDeadlineMs}.");
        }

        RequirePositive(failures, nameof(KademliaOptions.RefreshInterval), options.RefreshInterval);
        RequirePositive(failures, nameof(KademliaOptions.StaleContactAfter), options.StaleContactAfter);
        RequirePositive(failures, nameof(KademliaOptions.RepublishInterval), options.RepublishInterval);
        RequirePositive(failures, nameof(KademliaOptions.RecordTtl), options.RecordTtl);
        RequirePositive(failures, nameof(KademliaOptions.BootstrapMaxBackoff), options.BootstrapMaxBackoff);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequirePositive(List<string> failures, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:{setting} must be a positive duration (e.g. 01:00:00); got {value}.");
        }
    }
}
