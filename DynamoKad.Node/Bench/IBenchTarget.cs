using Google.Protobuf;

namespace DynamoKad.Bench;

/// <summary>
/// A system under load. Keys and values arrive as ready-made <see cref="ByteString"/>s (built once, shared
/// by every call) so the client does the same small amount of work per request whatever the target;
/// <c>keyIndex</c> names the key for targets that keep per-key client state.
/// </summary>
internal interface IBenchTarget : IAsyncDisposable
{
    /// <summary>
    /// Whether the client keeps per-key state learnt from answers (DynamoKad's causal contexts): the runner
    /// then reads every key once before the warm-up, as a long-running client would already have done.
    /// </summary>
    bool RemembersKeys => false;

    Task PutAsync(int caller, int keyIndex, ByteString key, ByteString value, DateTime deadline, CancellationToken cancellationToken);

    Task GetAsync(int caller, int keyIndex, ByteString key, DateTime deadline, CancellationToken cancellationToken);
}
