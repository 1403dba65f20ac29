using DynamoKad.Replication;
using DynamoKad.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DynamoKad.Http;

/// <summary>
/// RFC 9457 problem bodies for the HTTP API, and the one place exceptions become status codes: a client's
/// mistake is 400 naming the field, a missed quorum 503 with the replica counts.
/// </summary>
public static class HttpProblems
{
    public static async Task<IResult> RunAsync(Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (ClientRequestException ex)
        {
            return BadRequest(ex.Field, ex.Message);
        }
        catch (InvalidCausalContextException ex)
        {
            return BadRequest("context", $"{ex.Message} (header {KeyValueHttpApi.ContextHeader})");
        }
        catch (StorageValidationException ex)
        {
            // The API checks sizes first; this is the engine's own word on anything else it refuses.
            return BadRequest(ex.ParamName switch { "clock" => "context", null => "value", var name => name }, ex.Message);
        }
        catch (QuorumValidationException ex)
        {
            return BadRequest(QuorumField(ex.Message), ex.Message);
        }
        catch (QuorumNotReachedException ex)
        {
            return Results.Problem(
                title: "Quorum not reached",
                detail: ex.Message,
                statusCode: StatusCodes.Status503ServiceUnavailable,
                extensions: new Dictionary<string, object?>
                {
                    ["operation"] = ex.Operation,
                    ["replicasAnswered"] = ex.Answered,
                    ["replicasRequired"] = ex.Required,
                    ["n"] = ex.N,
                });
        }
    }

    public static ProblemHttpResult BadRequest(string field, string detail) =>
        TypedResults.Problem(
            title: "Invalid request",
            detail: detail,
            statusCode: StatusCodes.Status400BadRequest,
            extensions: new Dictionary<string, object?> { ["field"] = field });

    public static IResult NotFound(string key, string context) =>
        Results.Problem(
            title: "Not found",
            detail: $"The key '{key}' does not exist or was deleted.",
            statusCode: StatusCodes.Status404NotFound,
            extensions: new Dictionary<string, object?> { ["context"] = context });

    /// <summary>"quorum.R must not exceed N (3); got 4." names r; the first field a message names wins.</summary>
    private static string QuorumField(string message)
    {
        foreach (var (prefix, field) in new[] { ("quorum.N", "n"), ("quorum.R", "r"), ("quorum.W", "w"), ("n ", "n") })
        {
            if (message.StartsWith(prefix, StringComparison.Ordinal))
            {
                return field;
            }
        }

        return "quorum";
    }
}
