namespace DynamoKad.Replication;

/// <summary>The N/R/W one request runs with, validated.</summary>
public readonly record struct QuorumSettings(int N, int R, int W)
{
    /// <summary>More replicas than this is a typo, not a design.</summary>
    public const int MaxN = 16;

    /// <summary>The configured quorum with <paramref name="overrides"/> applied, validated like start-up does.</summary>
    /// <exception cref="QuorumValidationException">The combination cannot work; the message names the field.</exception>
    public static QuorumSettings Resolve(ReplicationOptions options, QuorumOverrides? overrides)
    {
        var settings = new QuorumSettings(overrides?.N ?? options.N, overrides?.R ?? options.R, overrides?.W ?? options.W);
        if (settings.IsValid)
        {
            return settings;
        }

        throw new QuorumValidationException(string.Join(" ", Validate(settings.N, settings.R, settings.W, "quorum.")));
    }

    /// <summary>Whether <see cref="Validate"/> would find nothing (without building its messages).</summary>
    public bool IsValid => N is >= 1 and <= MaxN && R >= 1 && R <= N && W >= 1 && W <= N;

    /// <summary>Every problem with N/R/W, each message naming the setting as <paramref name="prefix"/> + N/R/W.</summary>
    public static List<string> Validate(int n, int r, int w, string prefix)
    {
        var failures = new List<string>();
        if (n is < 1 or > MaxN)
        {
            failures.Add($"{prefix}N must be between 1 and {MaxN}; got {n}.");
        }

        if (r < 1)
        {
            failures.Add($"{prefix}R must be at least 1; got {r}.");
        }
        else if (r > n)
        {
            failures.Add($"{prefix}R must not exceed N ({n}); got {r}.");
        }

        if (w < 1)
        {
            failures.Add($"{prefix}W must be at least 1; got {w}.");
        }
        else if (w > n)
        {
            failures.Add($"{prefix}W must not exceed N ({n}); got {w}.");
        }

        return failures;
    }
}
