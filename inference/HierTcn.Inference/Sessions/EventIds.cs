using HierTcn.Formats;

namespace HierTcn.Inference.Sessions;

/// <summary>Event ids are client strings; the user state remembers them as 64-bit FNV-1a hashes (a collision among the
/// few hundred ids one user's state remembers, about 320²/2⁶⁵, would drop an event as a duplicate).</summary>
public static class EventIds
{
    public static long Hash(string eventId) => unchecked((long)StableHash.Fnv1a64(eventId));
}
