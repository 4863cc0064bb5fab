using System.Text;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Store;

public sealed class Utf8StringPoolTests
{
    [Fact]
    public void Equal_bytes_give_the_same_string_through_growth_and_any_text()
    {
        var pool = new Utf8StringPool();
        var texts = Enumerable.Range(0, 5000).Select(i => $"DEV{i:D8}").Append("").Append("Ünïcødé ✓ 𝄞").ToList();
        var first = texts.Select(t => pool.Get(Encoding.UTF8.GetBytes(t))).ToList();

        Assert.Equal(texts, first);
        for (var i = 0; i < texts.Count; i++)
            Assert.Same(first[i], pool.Get(Encoding.UTF8.GetBytes(texts[i])));
    }

    [Fact]
    public void The_last_row_string_is_reused_while_the_text_repeats()
    {
        var pool = new Utf8StringPool();
        var column = new LastUtf8String(pool);
        var a = column.Get("Required for device group 'Cart'"u8);
        Assert.Same(a, column.Get("Required for device group 'Cart'"u8));
        var b = column.Get("Uninstall for group 'Cart'"u8);
        Assert.Equal("Uninstall for group 'Cart'", b);
        Assert.Same(a, column.Get("Required for device group 'Cart'"u8)); // back to the pool's copy
    }
}

public sealed class Utf8IndexTests
{
    [Fact]
    public void Texts_are_numbered_in_the_order_added_and_found_by_their_bytes_through_growth()
    {
        var index = new Utf8Index();
        var texts = Enumerable.Range(0, 5000).Select(i => $"cuid-{i:D8}").Append("").Append("Ünïcødé ✓ 𝄞").ToList();
        for (var i = 0; i < texts.Count; i++)
            Assert.Equal(i, index.Add(Encoding.UTF8.GetBytes(texts[i])));

        Assert.Equal(texts.Count, index.Count);
        Assert.Equal(17, index.Add(Encoding.UTF8.GetBytes(texts[17]))); // added again: the same number
        for (var i = 0; i < texts.Count; i++)
            Assert.Equal(i, index.IndexOf(Encoding.UTF8.GetBytes(texts[i])));
        Assert.Equal(-1, index.IndexOf("cuid-99999999"u8));
        Assert.Equal(-1, index.IndexOf("CUID-00000001"u8));
    }
}
