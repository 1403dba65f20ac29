namespace DynamoKad.Http;

/// <summary>A client mistake in one field of an HTTP request: answered 400 with a problem body naming <see cref="Field"/>.</summary>
public sealed class ClientRequestException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
