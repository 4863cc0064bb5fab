using VppPS.Engine.Inventory;
using VppPS.Engine.Reports;

namespace VppPS.Engine.Tests.Reports;

public sealed class LicenseReportTests
{
    private static LicenseReportRow Row(string name, long? total, long assigned, long retired = 0, string type = "App", long given = 0) => new(new LicensedAsset
    {
        Name = name, AdamId = "1", Token = "North School", PricingParam = "STDQ", ProductType = type, TotalCount = total, AssignedCount = assigned,
        AvailableCount = total - assigned - retired, RetiredCount = retired, Unlimited = total is null,
        DeviceAssignable = true, Revocable = type == "App", SupportedPlatforms = ["iOS"],
    }, given);

    private static LicenseReport Report(params LicenseReportRow[] rows) => new(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero), rows);

    [Fact]
    public void Csv_quotes_what_needs_it_and_never_lets_a_spreadsheet_run_a_name_as_a_formula()
    {
        var writer = new StringWriter();
        Report(Row("Maps, \"Pro\"", 10, 4, retired: 2, given: 3), Row("=HYPERLINK(\"x\")", 5, 0), Row("Free App", null, 7)).WriteCsv(writer);
        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("Token,Type,Name,AdamId,PricingParam,Unlimited,TotalCount,AssignedCount,AvailableCount,RetiredCount,UsedPercent,GivenByVppPS,LicensingType", lines[0]);
        Assert.Equal("North School,App,\"Maps, \"\"Pro\"\"\",1,STDQ,False,10,4,4,2,50.0,3,UserOrDevice", lines[1]);
        Assert.Equal("North School,App,\"'=HYPERLINK(\"\"x\"\")\",1,STDQ,False,5,0,5,0,0.0,0,UserOrDevice", lines[2]);
        Assert.Equal("North School,App,Free App,1,STDQ,True,,7,,0,,0,UserOrDevice", lines[3]);
    }

    [Fact]
    public void Html_is_self_contained_and_encodes_every_name()
    {
        var writer = new StringWriter();
        Report(Row("<script>alert(1)</script>", 10, 10), Row("Hamlet", 20, 5, type: "Book")).WriteHtml(writer);
        var html = writer.ToString();

        Assert.DoesNotContain("<script", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("1 app and 1 book; 15 of 30 paid licenses in use", html);
        Assert.Contains("fill=\"#b00020\"", html); // no license left: a red bar
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", html);
        Assert.Contains("Generated 2026-11-25 08:00 UTC", html);
    }

    [Fact]
    public void An_empty_report_says_what_to_do()
    {
        var writer = new StringWriter();
        Report().WriteHtml(writer);
        Assert.Contains("run Sync-VppToken", writer.ToString());
    }

    [Fact]
    public void Saving_replaces_the_file_whole_and_refuses_a_missing_folder()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "report.csv");
        File.WriteAllText(path, "old");
        Report(Row("Maps", 10, 4)).Save(path, LicenseReportFormat.Csv);
        Assert.StartsWith("Token,Type,Name", File.ReadAllText(path).TrimStart('\uFEFF'));
        Assert.Single(Directory.GetFiles(folder.Path)); // no temporary file left behind

        var error = Assert.Throws<VppException>(() => Report().Save(Path.Combine(folder.Path, "missing", "r.html"), LicenseReportFormat.Html));
        Assert.Equal("VppReportFolderMissing", error.ErrorId);
    }

    [Fact]
    public void Subscriptions_have_their_section_totals_and_a_forecast_of_the_next_period_end()
    {
        var reads = new VppPS.Engine.Subscriptions.VppSubscription
        {
            Token = "North School", AdamId = "1640000101", ParentApp = "Riverside Reads", Status = "ACTIVE", PeriodEndDate = new DateTime(2027, 1, 9),
            AssignedRenewing = 3, AssignedExpiring = 3, AvailableRenewing = 22, AvailableExpiring = 7, TotalRenewing = 25, TotalExpiring = 10,
        };
        var report = new LicenseReport(new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero), [Row("Maps", 10, 4)], [reads]);

        var csv = new StringWriter();
        report.WriteCsv(csv);
        Assert.Contains("North School,Subscription,Riverside Reads (1640000101),1640000101,,False,35,6,29,,17.1,,User", csv.ToString());

        var html = new StringWriter();
        report.WriteHtml(html);
        Assert.Contains("<h3>Subscriptions</h3>", html.ToString());
        Assert.Contains("6 of 35 seats assigned.", html.ToString());
        Assert.Contains("Forecast: 10 seat(s) lapse at the end of their billing period (the next on 2027-01-09), and 3 user(s) lose the seat they hold then.", html.ToString());
    }
}
