using Google.Protobuf;

namespace DynamoKad.Bench;

/// <summary>
/// A system under load. Keys and values arrive as ready-made <see cref="ByteString"/>s (built once, shared
/// by every call) so the client does the same small amount of work per request whatever the target.
/// </summary>
internal interface IBenchTarget : IAsyncDisposable
{
    Task PutAsync(int caller, ByteString key, ByteString value, DateTime deadline, CancellationToken cancellationToken);

    Task GetAsync(int caller, ByteString key, DateTime deadline, CancellationToken cancellationToken);
}
