using Microsoft.Extensions.Options;

namespace DynamoKad.Replication;

/// <summary>Start-up validation of <see cref="ReplicationOptions"/>: every message names the setting.</summary>
internal sealed class ReplicationOptionsValidator : IValidateOptions<ReplicationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReplicationOptions options)
    {
        const string Prefix = ReplicationOptions.SectionName + ":";
        var failures = QuorumSettings.Validate(options.N, options.R, options.W, Prefix);
        void Positive(long value, string setting)
        {
            if (value <= 0)
            {
                failures.Add($"{Prefix}{setting} must be greater than 0; got {value}.");
            }
        }

        Positive(options.ReplicaTimeoutMs, nameof(options.ReplicaTimeoutMs));
        Positive(options.MaxClockEntries, nameof(options.MaxClockEntries));
        Positive(options.HintDeliveryIntervalMs, nameof(options.HintDeliveryIntervalMs));
        Positive(options.HintDeliveryBatch, nameof(options.HintDeliveryBatch));
        Positive(options.AntiEntropyIntervalMs, nameof(options.AntiEntropyIntervalMs));
        Positive(options.AntiEntropyMaxKeysPerRound, nameof(options.AntiEntropyMaxKeysPerRound));
        if (options.TombstoneGraceMs < 0)
        {
            failures.Add($"{Prefix}TombstoneGraceMs must not be negative; got {options.TombstoneGraceMs}.");
        }

        if (options.AntiEntropySettleMs < 0)
        {
            failures.Add($"{Prefix}AntiEntropySettleMs must not be negative; got {options.AntiEntropySettleMs}.");
        }

        if (options.FallbackCandidates < 0)
        {
            failures.Add($"{Prefix}FallbackCandidates must not be negative; got {options.FallbackCandidates}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
