namespace DynamoKad.Storage;

/// <summary>
/// A key, value or hint that storage refuses (empty key, key or value too long). An
/// <see cref="ArgumentException"/>, so the API layer can map it to INVALID_ARGUMENT.
/// </summary>
public sealed class StorageValidationException : ArgumentException
{
    public StorageValidationException(string message, string? paramName = null)
        : base(message, paramName)
    {
    }

    public StorageValidationException()
    {
    }

    public StorageValidationException(string message)
        : base(message)
    {
    }

    public StorageValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
