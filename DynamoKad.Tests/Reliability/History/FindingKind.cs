namespace DynamoKad.Tests.Reliability.History;

public enum FindingKind
{
    /// <summary>An acknowledged put's value is gone, and no write's context ever covered it.</summary>
    LostWrite,

    /// <summary>A value an acknowledged put or delete superseded (its context covered it) is back.</summary>
    Resurrected,

    /// <summary>A value no client ever wrote.</summary>
    Phantom,

    /// <summary>A read that began after a put was acknowledged saw neither it nor anything that could supersede it.</summary>
    StaleRead,
}
