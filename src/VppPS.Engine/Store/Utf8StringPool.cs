namespace VppPS.Engine.Store;

/// <summary>
/// One string per distinct UTF-8 text, looked up by its bytes: a plan of millions of licenses
/// reads the same serial numbers, ids and reasons again and again, and this keeps one copy of
/// each without first making a string to look it up by.
/// </summary>
internal sealed class Utf8StringPool
{
    private Entry[] _entries = new Entry[1024];
    private int _count;

    private struct Entry
    {
        public byte[]? Bytes;
        public string Value;
        public int Hash;
    }

    public string Get(ReadOnlySpan<byte> utf8)
    {
        var hash = Hash(utf8);
        var mask = _entries.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            ref var entry = ref _entries[i];
            if (entry.Bytes is null)
            {
                var value = System.Text.Encoding.UTF8.GetString(utf8);
                entry = new Entry { Bytes = utf8.ToArray(), Value = value, Hash = hash };
                if (++_count * 2 > _entries.Length) Grow();
                return value;
            }
            if (entry.Hash == hash && utf8.SequenceEqual(entry.Bytes))
                return entry.Value;
        }
    }

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode() & int.MaxValue;
    }

    private void Grow()
    {
        var old = _entries;
        _entries = new Entry[old.Length * 2];
        var mask = _entries.Length - 1;
        foreach (var entry in old)
        {
            if (entry.Bytes is null) continue;
            var i = entry.Hash & mask;
            while (_entries[i].Bytes is not null) i = (i + 1) & mask;
            _entries[i] = entry;
        }
    }
}

/// <summary>A column read row after row: the string of the last row again while its text repeats, else the pool's.</summary>
internal sealed class LastUtf8String(Utf8StringPool pool)
{
    private byte[] _bytes = [];
    private string? _value;

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (_value is not null && utf8.SequenceEqual(_bytes)) return _value;
        _bytes = utf8.ToArray();
        return _value = pool.Get(utf8);
    }
}
