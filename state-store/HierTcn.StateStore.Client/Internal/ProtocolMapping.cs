using Google.Protobuf;
using HierTcn.Formats.State;
using HierTcn.StateStore.Protocol;

namespace HierTcn.StateStore.Client.Internal;

/// <summary>Conversions between the wire messages and the store's result values.</summary>
internal static class ProtocolMapping
{
    public static Key ToKey(StateKey key) => new() { ModelVersion = key.ModelVersion, UserId = key.UserId };

    public static ByteString ToBytes(UserState state, int format) => UnsafeByteOperations.UnsafeWrap(UserStateSerializer.Serialize(state, (ushort)format));

    public static StoreStatus ToStatus(Status status) => status switch
    {
        Status.Ok => StoreStatus.Ok,
        Status.NotFound => StoreStatus.NotFound,
        Status.VersionMismatch => StoreStatus.VersionMismatch,
        Status.WritesRefused => StoreStatus.WritesRefused,
        Status.InvalidArgument => StoreStatus.InvalidArgument,
        Status.Damaged => StoreStatus.Damaged,
        _ => StoreStatus.Unavailable,
    };

    public static ReadResult ToReadResult(GetResponse response)
    {
        var status = ToStatus(response.Status);
        if (status != StoreStatus.Ok)
            return new ReadResult(status, null, NullIfEmpty(response.Error));
        if (!UserStateSerializer.TryDeserialize(response.State.Span, out var state, out var error))
            return new ReadResult(StoreStatus.Unavailable, null, "the server sent a damaged state: " + error);
        return new ReadResult(StoreStatus.Ok, state);
    }

    public static WriteResult ToWriteResult(WriteResponse response)
        => new(ToStatus(response.Status), response.Version, NullIfEmpty(response.Error));

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}
