using DynamoKad.Kademlia;
using DynamoKad.Protos.V1;
using Google.Protobuf;

namespace DynamoKad.Transport;

/// <summary>Contacts and ids between the domain and specs/v1 (kademlia.proto, common.proto).</summary>
internal static class KademliaProtoMapping
{
    public static NodeContact ToProto(this Contact contact) => new()
    {
        Id = ToProto(contact.Id),
        Address = contact.Address,
    };

    public static ByteString ToProto(this NodeId id)
    {
        Span<byte> bytes = stackalloc byte[NodeId.ByteLength];
        id.WriteTo(bytes);
        return ByteString.CopyFrom(bytes);
    }

    public static bool TryToContact(NodeContact? proto, out Contact contact)
    {
        contact = default;
        if (proto is null || string.IsNullOrWhiteSpace(proto.Address) || !NodeId.TryFromBytes(proto.Id.Span, out var id))
        {
            return false;
        }

        contact = new Contact(id, proto.Address);
        return true;
    }

    /// <summary>The well-formed contacts of a reply; a peer's malformed entries are skipped, not trusted.</summary>
    public static List<Contact> ToContacts(IEnumerable<NodeContact> protos)
    {
        var contacts = new List<Contact>();
        foreach (var proto in protos)
        {
            if (TryToContact(proto, out var contact))
            {
                contacts.Add(contact);
            }
        }

        return contacts;
    }
}
