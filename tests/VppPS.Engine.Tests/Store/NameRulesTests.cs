using VppPS.Engine.Directories;

namespace VppPS.Engine.Tests.Store;

/// <summary>The one check of names people give: visible, length, control, format and separator characters.</summary>
public sealed class NameRulesTests
{
    [Theory]
    [InlineData("Riverside High School")]
    [InlineData("Lincoln [Main] — École Saint-Jean")]
    [InlineData("مدرسة")] // right-to-left text itself is fine; only the invisible formatting characters are refused
    [InlineData("می\u200Cخواهم")] // a zero-width non-joiner inside a Persian word is part of its spelling
    [InlineData("Class 5 \U0001F34E")] // characters beyond the BMP (an emoji) are fine
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
    [InlineData("Teach\u200Bers", "invisible formatting character U+200B at position 6")]
    [InlineData("\uFEFFTeachers", "invisible formatting character U+FEFF at position 1")]
    [InlineData("Teach\u200Cers", "invisible formatting character U+200C")] // a joiner between ASCII letters only hides itself
    [InlineData("\u200Dمدرسة", "invisible formatting character U+200D")] // not between two letters
    [InlineData("Tag\U000E0041", "invisible formatting character U+E0041 at position 4")] // a tag character, beyond the BMP
    [InlineData("One\u2028Two", "line or paragraph separator U+2028 at position 4")]
    [InlineData("One\u2029Two", "line or paragraph separator U+2029")]
    public void Control_and_bidirectional_characters_are_refused_and_shown_escaped(string name, string says)
    {
        var e = NameRules.Check(name, "group name", "VppGroupNameInvalid")!;
        Assert.Contains(says, e.Message);
        Assert.Equal(VppErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("type it again", e.Message);
        Assert.DoesNotContain(e.Message, c => char.IsControl(c) || char.IsSurrogate(c) ||
            char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator);
        Assert.DoesNotContain(e.Target!.ToString()!, c => char.IsControl(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format);
    }

    [Fact]
    public void An_unpaired_surrogate_is_refused_and_shown_escaped()
    {
        var e = NameRules.Check("Bad\uD800", "token name", "VppTokenNameInvalid")!;
        Assert.Contains("unpaired surrogate U+D800 at position 4", e.Message);
        Assert.Contains("'Bad\\uD800'", e.Message);
    }

    [Theory]
    [InlineData("", "it is empty")]
    [InlineData("   ", "it is only white space")]
    [InlineData("\u3000\t", "it is only white space")]
    public void Empty_and_blank_names_are_refused(string name, string says)
    {
        var e = NameRules.Check(name, "token name", "VppTokenNameInvalid")!;
        Assert.Equal(("VppTokenNameInvalid", VppErrorKind.InvalidArgument), (e.ErrorId, e.Kind));
        Assert.Contains(says, e.Message);
        Assert.Contains("at least one visible character", e.Message);
    }

    [Fact]
    public void Directory_keys_and_addresses_refuse_hidden_characters_with_no_exception_for_joiners()
    {
        Assert.Equal("VppUserPrincipalNameInvalid", new MemberInput { UserPrincipalName = "ann\u202E@example.org" }.Problem(DirectoryKind.User, "Teachers")!.ErrorId);
        Assert.Contains("bidirectional formatting character U+202E", DirectoryValues.CheckUpn("ann\u202E@example.org")!.Message);
        Assert.Contains("invisible formatting character U+200B", DirectoryValues.CheckUpn("an\u200Bn@example.org")!.Message);
        Assert.Contains("invisible formatting character U+200C", DirectoryValues.CheckUpn("مد\u200Cرسة@example.org")!.Message);
        Assert.Equal("VppMailInvalid", new MemberInput { UserPrincipalName = "ann@example.org", Mail = "ann@example.org\uFEFF" }.Problem(DirectoryKind.User, "Teachers")!.ErrorId);
        Assert.Equal("VppMailInvalid", new MemberInput { UserPrincipalName = "ann@example.org", Mail = "ann @example.org" }.Problem(DirectoryKind.User, "Teachers")!.ErrorId);
        Assert.Equal("VppManagedAppleIdInvalid", new MemberInput { UserPrincipalName = "ann@example.org", ManagedAppleId = "ann\u2028@appleid.example.org" }.Problem(DirectoryKind.User, "Teachers")!.ErrorId);
        Assert.Equal("VppOwnerInvalid", new MemberInput { SerialNumber = "SER1", Owner = "ann\u202E@example.org" }.Problem(DirectoryKind.Device, "Cart")!.ErrorId);
        Assert.Equal("VppOwnerInvalid", new MemberInput { SerialNumber = "SER1", UserPrincipalName = "ann\u200B@example.org" }.Problem(DirectoryKind.Device, "Cart")!.ErrorId);
        var serial = DirectoryValues.CheckSerial("SER\u200B1")!;
        Assert.Equal("VppSerialNumberInvalid", serial.ErrorId);
        Assert.Contains("'SER\\u200B1'", serial.Message);
        Assert.Null(new MemberInput { UserPrincipalName = "ann@example.org", Mail = "ann@example.org", ManagedAppleId = "ann@appleid.example.org" }.Problem(DirectoryKind.User, "Teachers"));
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
