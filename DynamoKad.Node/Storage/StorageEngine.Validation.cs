namespace DynamoKad.Storage;

public sealed partial class StorageEngine
{
    private void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
        {
            throw new StorageValidationException($"The key is empty; a key must be 1 to {_options.MaxKeyBytes} bytes.", "key");
        }

        if (key.Length > _options.MaxKeyBytes)
        {
            throw new StorageValidationException(
                $"The key is {key.Length} bytes; a key may be at most {_options.MaxKeyBytes} bytes ({StorageOptions.SectionName}:MaxKeyBytes).", "key");
        }
    }

    private void ValidateVersion(StoredVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.Clock is null || version.Value is null)
        {
            throw new StorageValidationException("A version must have a clock and a value (an empty array, not null).", "version");
        }

        if (version.Value.Length > _options.MaxValueBytes)
        {
            throw new StorageValidationException(
                $"The value is {version.Value.Length} bytes; a value may be at most {_options.MaxValueBytes} bytes ({StorageOptions.SectionName}:MaxValueBytes).", "value");
        }

        if (version.Clock.Length > _options.MaxValueBytes)
        {
            throw new StorageValidationException(
                $"The causal context (clock) is {version.Clock.Length} bytes; it may be at most {_options.MaxValueBytes} bytes.", "clock");
        }
    }
}
