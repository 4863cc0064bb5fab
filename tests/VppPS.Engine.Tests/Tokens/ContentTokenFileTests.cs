using System.Text;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Tests.Tokens;

public class ContentTokenFileTests
{
    private static string Encode(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("2030-11-08T22:33:22+0000", "2030-11-08T22:33:22Z")]
    [InlineData("2014-08-15T18:13:52-0700", "2014-08-16T01:13:52Z")]
    [InlineData("2030-11-08T22:33:22+02:00", "2030-11-08T20:33:22Z")]
    [InlineData("2030-11-08T22:33:22Z", "2030-11-08T22:33:22Z")]
    public void Accepts_every_offset_form_Apple_and_others_write(string expDate, string expectedUtc)
    {
        var file = ContentTokenFile.Parse(Encode($$"""{"token":"abc","expDate":"{{expDate}}","orgName":"ORG12345"}"""), "test");
        Assert.Equal(DateTimeOffset.Parse(expectedUtc), file.ExpiresAt);
        Assert.Equal("ORG12345", file.OrganizationName);
    }

    [Fact]
    public void Accepts_pretty_printed_json_a_bom_and_crlf()
    {
        var json = "{\r\n    \"token\": \"VGhpcyBpcyBhIHNhbXBsZSB0ZXh0\",\r\n    \"expDate\": \"2030-11-08T22:33:22+0000\",\r\n    \"orgName\": \"Example Inc.\"\r\n}";
        var encoded = Encode(json);
        var file = ContentTokenFile.Parse("\uFEFF  " + encoded[..20] + "\r\n" + encoded[20..] + "\r\n", "test");
        Assert.Equal(encoded, file.Bearer);
        Assert.Equal("Example Inc.", file.OrganizationName);
    }

    [Fact]
    public void Never_shows_the_secret_in_its_text()
    {
        var encoded = Encode("""{"token":"SECRET-VALUE","expDate":"2030-11-08T22:33:22+0000","orgName":"Org"}""");
        var file = ContentTokenFile.Parse(encoded, "test");
        Assert.DoesNotContain("SECRET-VALUE", file.ToString());
        Assert.DoesNotContain(encoded, file.ToString());
    }

    [Theory]
    [InlineData("not base64 at all!", "VppTokenNotBase64")]
    [InlineData("aGVsbG8gd29ybGQ=", "VppTokenNotJson")]
    [InlineData("WzEsMiwzXQ==", "VppTokenNotJson")]
    [InlineData("eyJ0b2tlbiI6ImFiYyIsIm9yZ05hbWUiOiJYIn0=", "VppTokenIncomplete")]
    [InlineData("eyJ0b2tlbiI6ImFiYyIsImV4cERhdGUiOiJzb29uIiwib3JnTmFtZSI6IlgifQ==", "VppTokenBadExpiry")]
    [InlineData("   ", "VppTokenFileEmpty")]
    public void Refuses_bad_content_with_a_specific_error(string text, string errorId)
    {
        var e = Assert.Throws<VppException>(() => ContentTokenFile.Parse(text, "test"));
        Assert.Equal(errorId, e.ErrorId);
        Assert.Equal(VppErrorKind.InvalidArgument, e.Kind);
    }
}
