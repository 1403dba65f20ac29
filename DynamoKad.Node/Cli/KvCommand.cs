using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DynamoKad.Http;

namespace DynamoKad.Cli;

/// <summary><c>kv put|get|delete</c>: the HTTP JSON API from the command line.</summary>
internal static class KvCommand
{
    public const string DefaultNode = "http://127.0.0.1:7080";

    public static Command Create(TextWriter? output = null, TextWriter? error = null)
    {
        var node = new Option<string>("--node") { Description = "The node's HTTP endpoint.", DefaultValueFactory = _ => DefaultNode, Recursive = true };
        var n = new Option<int?>("--n") { Description = "Replicas for this request (default: the node's N).", Recursive = true };
        var r = new Option<int?>("--r") { Description = "Replica answers a read waits for.", Recursive = true };
        var w = new Option<int?>("--w") { Description = "Acknowledgements a write waits for.", Recursive = true };
        var context = new Option<string?>("--context") { Description = "The causal context from a previous get (resolves siblings)." };
        var key = new Argument<string>("key") { Description = "The key (UTF-8)." };
        var value = new Argument<string>("value") { Description = "The value (UTF-8 text)." };

        var put = new Command("put", "Write a value.") { key, value, context };
        put.SetAction((result, ct) => RunAsync(result, node, output, error, client => PutAsync(
            client, result.GetValue(key)!, result.GetValue(value)!, result.GetValue(context), Query(("n", result.GetValue(n)), ("w", result.GetValue(w))), output, ct)));

        var get = new Command("get", "Read a key: its siblings and the context to write with.") { key };
        get.SetAction((result, ct) => RunAsync(result, node, output, error, client => GetAsync(
            client, result.GetValue(key)!, Query(("n", result.GetValue(n)), ("r", result.GetValue(r))), output, ct)));

        var delete = new Command("delete", "Delete a key (with --context, exactly what that read saw).") { key, context };
        delete.SetAction((result, ct) => RunAsync(result, node, output, error, client => DeleteAsync(
            client, result.GetValue(key)!, result.GetValue(context), Query(("n", result.GetValue(n)), ("r", result.GetValue(r)), ("w", result.GetValue(w))), output, ct)));

        return new Command("kv", "Put, get and delete keys through a node's HTTP API.") { node, n, r, w, put, get, delete };
    }

    private static async Task<int> RunAsync(ParseResult result, Option<string> node, TextWriter? output, TextWriter? error, Func<HttpClient, Task<int>> action)
    {
        var err = error ?? Console.Error;
        var address = result.GetValue(node) ?? DefaultNode;
        if (!Uri.TryCreate(address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address, UriKind.Absolute, out var baseAddress))
        {
            await err.WriteLineAsync($"error: --node must be a URL like {DefaultNode}; got '{address}'.");
            return CliExitCodes.BadRequest;
        }

        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            return await action(client);
        }
        catch (HttpRequestException ex)
        {
            await err.WriteLineAsync($"error: cannot reach {baseAddress}: {ex.Message}");
            return CliExitCodes.Unavailable;
        }
        catch (TaskCanceledException)
        {
            await err.WriteLineAsync($"error: {baseAddress} did not answer within {client.Timeout.TotalSeconds:0} s.");
            return CliExitCodes.Unavailable;
        }
        catch (CliFailure failure)
        {
            await err.WriteLineAsync($"error: {failure.Message}");
            return failure.ExitCode;
        }
    }

    private static async Task<int> PutAsync(HttpClient client, string key, string value, string? context, string query, TextWriter? output, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, Path(key) + query) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(value)) };
        AddContext(request, context);
        using var response = await client.SendAsync(request, ct);
        var body = await RequireSuccessAsync(response, ct);
        var writer = output ?? Console.Out;
        await writer.WriteLineAsync($"OK context: {body.GetProperty("context").GetString()}");
        var siblings = body.GetProperty("siblings").EnumerateArray().ToList();
        if (siblings.Count > 0)
        {
            await writer.WriteLineAsync($"{siblings.Count} concurrent value(s) kept beside this one (the context covers them too):");
            foreach (var sibling in siblings)
            {
                await writer.WriteLineAsync($"  {sibling.GetProperty("text").GetString() ?? $"(binary, base64) {sibling.GetProperty("value").GetString()}"}");
            }
        }

        return CliExitCodes.Success;
    }

    private static async Task<int> GetAsync(HttpClient client, string key, string query, TextWriter? output, CancellationToken ct)
    {
        using var response = await client.GetAsync(Path(key) + query, ct);
        var body = await RequireSuccessAsync(response, ct);
        var writer = output ?? Console.Out;
        var siblings = body.GetProperty("siblings").EnumerateArray().ToList();
        await writer.WriteLineAsync($"key: {body.GetProperty("key").GetString()}");
        await writer.WriteLineAsync(siblings.Count == 1 ? "1 value:" : $"{siblings.Count} siblings (concurrent values; put with the context to resolve them):");
        for (var i = 0; i < siblings.Count; i++)
        {
            var sibling = siblings[i];
            var text = sibling.GetProperty("text").GetString();
            var shown = text ?? $"(binary, base64) {sibling.GetProperty("value").GetString()}";
            var clock = string.Join(", ", sibling.GetProperty("clock").EnumerateObject().Select(e => $"{e.Name[..Math.Min(8, e.Name.Length)]}:{e.Value}"));
            await writer.WriteLineAsync($"  [{i + 1}] {shown}");
            await writer.WriteLineAsync($"      clock {{{clock}}}");
        }

        await writer.WriteLineAsync($"context: {body.GetProperty("context").GetString()}");
        return CliExitCodes.Success;
    }

    private static async Task<int> DeleteAsync(HttpClient client, string key, string? context, string query, TextWriter? output, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Path(key) + query);
        AddContext(request, context);
        using var response = await client.SendAsync(request, ct);
        await RequireSuccessAsync(response, ct);
        await (output ?? Console.Out).WriteLineAsync("OK deleted");
        return CliExitCodes.Success;
    }

    private static string Path(string key) => "/v1/kv/" + Uri.EscapeDataString(key);

    private static string Query(params (string Name, int? Value)[] parameters)
    {
        var set = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={p.Value}").ToList();
        return set.Count == 0 ? string.Empty : "?" + string.Join('&', set);
    }

    private static void AddContext(HttpRequestMessage request, string? context)
    {
        if (!string.IsNullOrWhiteSpace(context))
        {
            request.Headers.TryAddWithoutValidation(KeyValueHttpApi.ContextHeader, context);
        }
    }

    /// <summary>The JSON body of a 200, or a <see cref="CliFailure"/> with the node's own one-line reason.</summary>
    private static async Task<JsonElement> RequireSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        }

        var text = await response.Content.ReadAsStringAsync(ct);
        string reason;
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            reason = problem.TryGetProperty("detail", out var detail) ? detail.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            reason = string.IsNullOrWhiteSpace(text) ? response.ReasonPhrase ?? "no reason given" : text.Trim();
        }

        var (code, label) = response.StatusCode switch
        {
            HttpStatusCode.NotFound => (CliExitCodes.NotFound, "not found"),
            HttpStatusCode.BadRequest => (CliExitCodes.BadRequest, "bad request"),
            HttpStatusCode.ServiceUnavailable => (CliExitCodes.Unavailable, "unavailable"),
            _ => (CliExitCodes.Failed, $"HTTP {(int)response.StatusCode}"),
        };
        throw new CliFailure(code, $"{label}: {reason.ReplaceLineEndings(" ")}");
    }
}
