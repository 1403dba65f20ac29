namespace DynamoKad.Cli;

/// <summary>A client verb failed for a reason worth one line; <see cref="ExitCode"/> says what kind.</summary>
internal sealed class CliFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
