using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Protobuf;

namespace DynamoKad.Dashboard.Cluster;

/// <summary>
/// Writes a protobuf message into JSON as its wire bytes (base64), so a record that carries node answers can go
/// through System.Text.Json (the prerender's persisted state) and come back exactly as the node sent it.
/// </summary>
public sealed class ProtobufBytesJsonConverter<T> : JsonConverter<T>
    where T : class, IMessage<T>, new()
{
    private static readonly MessageParser<T> Parser = new(() => new T());

    public override T? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Parser.ParseFrom(reader.GetBytesFromBase64());

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteBase64StringValue(value.ToByteArray());
}
