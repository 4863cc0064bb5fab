using VppPS.Engine.Directories;

namespace VppPS.Engine.Tests.Store;

/// <summary>The one check of names people give: length, control characters, bidirectional formatting characters.</summary>
public sealed class NameRulesTests
{
    [Theory]
    [InlineData("Riverside High School")]
    [InlineData("Lincoln [Main] — École Saint-Jean")]
    [InlineData("مدرسة")] // right-to-left text itself is fine; only the invisible formatting characters are refused
    public void Ordinary_names_pass(string name) => Assert.Null(NameRules.Check(name, "token name", "VppTokenNameInvalid"));

    [Fact]
    public void A_name_longer_than_the_maximum_is_refused_with_its_length()
    {
        var e = NameRules.Check(new string('x', 5000), "token name", "VppTokenNameInvalid")!;
        Assert.Equal(VppErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("VppTokenNameInvalid", e.ErrorId);
        Assert.Contains("5,000 characters long, and a token name has at most 128", e.Message);
        Assert.True(e.Message.Length < 400); // the name is cut in the message
        Assert.Null(NameRules.Check(new string('x', NameRules.MaxLength), "token name", "VppTokenNameInvalid"));
    }

    [Theory]
    [InlineData("Bad\u0007Bell", "control character U+0007 at position 4")]
    [InlineData("Two\nLines", "control character U+000A at position 4")]
    [InlineData("Tab\t", "control character U+0009")]
    [InlineData("gpj.\u202Eexe", "bidirectional formatting character U+202E at position 5")]
    [InlineData("a\u2066b", "U+2066")]
    [InlineData("a\u2069b", "U+2069")]
    [InlineData("a\u200Eb", "U+200E")]
    [InlineData("a\u200Fb", "U+200F")]
    [InlineData("a\u061Cb", "U+061C")]
    [InlineData("a\u202Ab", "U+202A")]
    public void Control_and_bidirectional_characters_are_refused_and_shown_escaped(string name, string says)
    {
        var e = NameRules.Check(name, "group name", "VppGroupNameInvalid")!;
        Assert.Contains(says, e.Message);
        Assert.DoesNotContain(e.Message, c => char.IsControl(c) || NameRules.IsBidiControl(c));
    }

    [Fact]
    public void Directory_names_use_the_same_check()
    {
        Assert.Equal("VppGroupNameInvalid", DirectoryValues.CheckGroupName("Cart\u202E")!.ErrorId);
        Assert.Equal("VppGroupNameInvalid", DirectoryValues.CheckGroupName(new string('g', 129))!.ErrorId);
        Assert.Equal("VppDisplayNameInvalid", new MemberInput { UserPrincipalName = "ann@example.org", DisplayName = "Ann\u0000" }.Problem(DirectoryKind.User, "Teachers")!.ErrorId);
        Assert.Equal("VppDeviceNameInvalid", new MemberInput { SerialNumber = "SER1", DeviceName = new string('d', 300) }.Problem(DirectoryKind.Device, "Cart")!.ErrorId);
        Assert.Null(new MemberInput { SerialNumber = "SER1", DeviceName = "iPad 7" }.Problem(DirectoryKind.Device, "Cart"));
    }
}
