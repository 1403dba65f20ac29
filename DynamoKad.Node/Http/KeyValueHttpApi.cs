using System.Text;
using DynamoKad.Api;
using DynamoKad.Replication;

namespace DynamoKad.Http;

/// <summary>
/// The HTTP JSON API on the node's HTTP endpoint: <c>PUT/GET/DELETE /v1/kv/{key}</c> and the replica inspector
/// <c>GET /v1/kv/{key}/replicas</c>. The key is the URL path segment (UTF-8, percent-encoded as needed); a
/// value is the raw request body. Client mistakes are 400 problem JSON naming the field, a missed quorum is 503
/// saying how many replicas answered; nothing a client sends causes a 500.
/// </summary>
public static class KeyValueHttpApi
{
    public const string ContextHeader = "X-DynamoKad-Context";

    public static IEndpointRouteBuilder MapDynamoKadHttpApi(this IEndpointRouteBuilder endpoints)
    {
        var kv = endpoints.MapGroup("/v1/kv");
        kv.MapPut("/{key}", PutAsync);
        kv.MapGet("/{key}", GetAsync);
        kv.MapDelete("/{key}", DeleteAsync);
        kv.MapGet("/{key}/replicas", InspectAsync);

        // No key at all: say so rather than a bare 404 or 405.
        kv.MapMethods("/", ["PUT", "GET", "DELETE"], () => HttpProblems.BadRequest("key", "key must not be empty; use /v1/kv/{key}."));
        return endpoints;
    }

    private static async Task<IResult> PutAsync(
        string key, HttpRequest request, QuorumCoordinator coordinator, ClientRequestLimits limits, RequestStatistics statistics)
    {
        return await HttpProblems.RunAsync(async () =>
        {
            var keyBytes = RequireKey(key, request, limits);
            var overrides = Quorum(request, allowR: false);
            var value = await ReadBodyAsync(request, limits);
            var result = await statistics.MeasureAsync("put", statistics.Timestamp(), coordinator.PutAsync(
                keyBytes, value, ContextOf(request), overrides, request.HttpContext.RequestAborted));
            var siblings = result.Siblings.Select(s => new KeyValueJson.Sibling(
                Convert.ToBase64String(s.Value), KeyValueJson.TextOf(s.Value), KeyValueJson.ClockOf(s.Clock.ToProtoClock())));
            return Results.Ok(new KeyValueJson.PutResponse(result.Context, [.. siblings]));
        });
    }

    private static async Task<IResult> GetAsync(
        string key, HttpRequest request, QuorumCoordinator coordinator, ClientRequestLimits limits, RequestStatistics statistics)
    {
        return await HttpProblems.RunAsync(async () =>
        {
            var keyBytes = RequireKey(key, request, limits);
            var overrides = Quorum(request, allowW: false);
            var result = await statistics.MeasureAsync("get", statistics.Timestamp(), coordinator.GetAsync(keyBytes, overrides, request.HttpContext.RequestAborted));
            if (!result.Found)
            {
                return HttpProblems.NotFound(KeyOf(key, request), result.Context);
            }

            var siblings = result.Siblings.Select(s => new KeyValueJson.Sibling(
                Convert.ToBase64String(s.Value), KeyValueJson.TextOf(s.Value), KeyValueJson.ClockOf(s.Clock.ToProtoClock())));
            return Results.Ok(new KeyValueJson.GetResponse(KeyOf(key, request), result.Context, [.. siblings]));
        });
    }

    private static async Task<IResult> DeleteAsync(
        string key, HttpRequest request, QuorumCoordinator coordinator, ClientRequestLimits limits, RequestStatistics statistics)
    {
        return await HttpProblems.RunAsync(async () =>
        {
            var keyBytes = RequireKey(key, request, limits);
            var overrides = Quorum(request, allowR: true);
            var result = await statistics.MeasureAsync("delete", statistics.Timestamp(), coordinator.DeleteAsync(
                keyBytes, ContextOf(request), overrides, request.HttpContext.RequestAborted));
            return Results.Ok(new KeyValueJson.DeleteResponse(result.Acks));
        });
    }

    private static async Task<IResult> InspectAsync(string key, HttpRequest request, ReplicaInspector inspector, ClientRequestLimits limits)
    {
        return await HttpProblems.RunAsync(async () =>
        {
            var keyBytes = RequireKey(key, request, limits);
            var n = ParseCount(request, "n");
            var inspection = await inspector.InspectAsync(keyBytes, n, request.HttpContext.RequestAborted);
            var replicas = inspection.Replicas.Select(r => new KeyValueJson.Replica(
                r.NodeId, r.Address, r.Preferred, r.Reachable, string.IsNullOrEmpty(r.Error) ? null : r.Error,
                [.. r.Versions.Select(KeyValueJson.VersionOf)]));
            var hints = inspection.Hints.Select(h => new KeyValueJson.Hint(h.HolderNodeId, h.TargetNodeId, KeyValueJson.VersionOf(h.Version)));
            return Results.Ok(new KeyValueJson.ReplicaInspection(KeyOf(key, request), inspection.KeyId, [.. replicas], [.. hints]));
        });
    }

    /// <summary>
    /// The key from the raw request target, percent-decoded exactly once: routing leaves "%2F" encoded in a
    /// route value (it decodes everything else), so a key containing '/' would otherwise differ by API.
    /// </summary>
    private static string KeyOf(string routeKey, HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        const string Prefix = "/v1/kv/";
        if (raw is null || !raw.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return routeKey;
        }

        var segment = raw[Prefix.Length..];
        var end = segment.IndexOfAny(['/', '?']);
        return Uri.UnescapeDataString(end < 0 ? segment : segment[..end]);
    }

    private static byte[] RequireKey(string routeKey, HttpRequest request, ClientRequestLimits limits)
    {
        var key = KeyOf(routeKey, request);
        var bytes = Encoding.UTF8.GetBytes(key);
        return limits.CheckKey(bytes.Length) is { } problem ? throw new ClientRequestException("key", problem) : bytes;
    }

    private static string? ContextOf(HttpRequest request) =>
        request.Headers.TryGetValue(ContextHeader, out var values) && !string.IsNullOrWhiteSpace(values.ToString()) ? values.ToString().Trim() : null;

    private static QuorumOverrides? Quorum(HttpRequest request, bool allowR = true, bool allowW = true)
    {
        var n = ParseCount(request, "n");
        var r = allowR ? ParseCount(request, "r") : null;
        var w = allowW ? ParseCount(request, "w") : null;
        return n is null && r is null && w is null ? null : new QuorumOverrides(n, r, w);
    }

    private static int? ParseCount(HttpRequest request, string name)
    {
        if (!request.Query.TryGetValue(name, out var values))
        {
            return null;
        }

        var text = values.ToString();
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ClientRequestException(name, $"{name} must be a positive integer; got '{text}'.");
    }

    /// <summary>
    /// Reads the value, refusing one larger than the limit as soon as it is seen (so before Kestrel's own body
    /// limit, <see cref="ClientRequestLimits.MaxRequestBytes"/>, would answer a bare 413).
    /// </summary>
    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, ClientRequestLimits limits)
    {
        if (request.ContentLength is { } declared && limits.CheckValue(declared) is { } tooLarge)
        {
            throw new ClientRequestException("value", tooLarge);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (limits.CheckValue(buffer.Length) is { } problem)
            {
                throw new ClientRequestException("value", problem);
            }
        }

        return buffer.ToArray();
    }
}
