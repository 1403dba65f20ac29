namespace DynamoKad.Cli;

/// <summary>Exit codes of the client verbs (documented in README "CLI").</summary>
public static class CliExitCodes
{
    public const int Success = 0;

    /// <summary>The key does not exist or was deleted.</summary>
    public const int NotFound = 1;

    /// <summary>The node refused the request as malformed (HTTP 400, INVALID_ARGUMENT) or the arguments were wrong.</summary>
    public const int BadRequest = 2;

    /// <summary>The node could not be reached, or answered that the quorum was not reached (HTTP 503).</summary>
    public const int Unavailable = 3;

    /// <summary>Anything else: an unexpected answer, refused credentials.</summary>
    public const int Failed = 4;
}
