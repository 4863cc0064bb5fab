namespace VppPS.Engine.Store;

/// <summary>
/// Numbers distinct UTF-8 texts 0, 1, 2... in the order they are added, and finds a text's number
/// by its bytes, without making a string. Kept compact (the texts side by side in one array, the
/// table of small structs) because a lookup per row of a read of hundreds of thousands of rows is
/// mostly a wait for memory.
/// </summary>
internal sealed class Utf8Index
{
    private Slot[] _slots;
    private byte[] _texts = new byte[16 * 1024];
    private int _used;

    /// <summary>An index sized for <paramref name="capacity"/> texts, when that many are expected: a long read then never rebuilds it as it grows.</summary>
    public Utf8Index(int capacity = 0) => _slots = new Slot[Math.Max(1024, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity) * 2 + 2))];

    /// <summary>A text's hash (never 0: 0 marks an empty slot), where its bytes are and its number.</summary>
    private struct Slot
    {
        public int Hash;
        public int Offset;
        public int Length;
        public int Number;
    }

    public int Count { get; private set; }

    /// <summary>The text's number: a new one (Count before the call) when it was not there.</summary>
    public int Add(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        ref var slot = ref Find(utf8, hash);
        if (slot.Hash != 0) return slot.Number;
        if (_used + utf8.Length > _texts.Length) Array.Resize(ref _texts, Math.Max(_texts.Length * 2, _used + utf8.Length));
        utf8.CopyTo(_texts.AsSpan(_used));
        slot = new Slot { Hash = hash, Offset = _used, Length = utf8.Length, Number = Count };
        _used += utf8.Length;
        if (++Count * 2 > _slots.Length) Grow();
        return Count - 1;
    }

    /// <summary>The text's number, or -1 when it was never added.</summary>
    public int IndexOf(ReadOnlySpan<byte> utf8)
    {
        ref var slot = ref Find(utf8, Hash(utf8));
        return slot.Hash != 0 ? slot.Number : -1;
    }

    /// <summary>The slot holding the text, or the empty one where it would go.</summary>
    private ref Slot Find(ReadOnlySpan<byte> utf8, int hash)
    {
        var mask = _slots.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            ref var slot = ref _slots[i];
            if (slot.Hash == 0 || (slot.Hash == hash && utf8.SequenceEqual(_texts.AsSpan(slot.Offset, slot.Length))))
                return ref slot;
        }
    }

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode() | int.MinValue;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Hash == 0) continue;
            var i = slot.Hash & mask;
            while (_slots[i].Hash != 0) i = (i + 1) & mask;
            _slots[i] = slot;
        }
    }
}
