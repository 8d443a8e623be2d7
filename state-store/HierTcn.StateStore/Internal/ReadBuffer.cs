namespace HierTcn.StateStore.Internal;

/// <summary>A read's key and value bytes, pooled by the engine so a read allocates neither: the key in pinned memory
/// (FASTER may hold on to it while a read goes to disk), the value copied out of the log into an array grown to the
/// largest read so far. One read at a time.</summary>
internal sealed class ReadBuffer
{
    /// <summary>Values larger than this are not kept for the next read, so one huge state does not pin memory.</summary>
    public const int KeptValueBytes = 64 * 1024;

    private byte[] _value = new byte[2048];

    /// <summary>The key (int64 user id and at most 255 bytes of model version, <see cref="KeyCodec"/>), pinned.</summary>
    public byte[] Key { get; } = GC.AllocateUninitializedArray<byte>(8 + 255, pinned: true);

    public int KeyLength { get; set; }

    /// <summary>True when the last read found the key; <see cref="Value"/> is then its value.</summary>
    public bool Found { get; set; }

    public int ValueLength { get; private set; }

    public ReadOnlySpan<byte> KeyBytes => Key.AsSpan(0, KeyLength);

    public ReadOnlySpan<byte> Value => _value.AsSpan(0, ValueLength);

    /// <summary>Copies <paramref name="value"/> in (FASTER's reader callback).</summary>
    public void Set(ReadOnlySpan<byte> value)
    {
        if (_value.Length < value.Length)
            _value = new byte[Math.Max(value.Length, 2 * _value.Length)];
        value.CopyTo(_value);
        ValueLength = value.Length;
        Found = true;
    }

    /// <summary>Forgets the last value before the buffer goes back to the pool.</summary>
    public void Reset()
    {
        Found = false;
        ValueLength = 0;
        if (_value.Length > KeptValueBytes)
            _value = new byte[2048];
    }
}
