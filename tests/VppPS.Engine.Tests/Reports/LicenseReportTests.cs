using System.Net;
using System.Text.RegularExpressions;
using VppPS.Engine.Inventory;
using VppPS.Engine.Reports;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Tests.Reports;

public sealed class LicenseReportTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);

    private static LicenseReportRow Row(string name, long? total, long assigned, long retired = 0, string type = "App", long given = 0,
        string token = "North School", int waiting = 0, string? adamId = null) => new(new LicensedAsset
    {
        Name = name, AdamId = adamId ?? "1", Token = token, TokenId = TokenId(token), PricingParam = "STDQ", ProductType = type, TotalCount = total, AssignedCount = assigned,
        AvailableCount = total - assigned - retired, RetiredCount = retired, Unlimited = total is null,
        DeviceAssignable = true, Revocable = type == "App", SupportedPlatforms = ["iOS"],
    }, given, waiting);

    private static Guid TokenId(string name) => new(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(name)));

    private static LicenseReportToken Token(string name, VppTokenState state = VppTokenState.valid, int expiresInDays = 300,
        DateTimeOffset? lastSync = null, VppTokenSyncStatus status = VppTokenSyncStatus.completed, DateTimeOffset? lastCompleted = null,
        string? error = null, params (HealthSeverity Severity, string Check, string Message)[] findings)
    {
        DateTimeOffset? synced = status == VppTokenSyncStatus.none ? null : lastSync ?? Now.AddHours(-2);
        var token = new VppToken
        {
            Id = TokenId(name), Name = name, OrganizationName = "District", AppleId = "a@b.example", AccountType = VppTokenAccountType.education,
            ExpirationDateTime = Now.AddDays(expiresInDays).AddHours(1), State = state, LastSyncDateTime = synced, LastSyncStatus = status,
            AutomaticallyUpdateApps = false, CreatedDateTime = Now.AddDays(-30), LastModifiedDateTime = Now.AddDays(-1),
        };
        var health = findings.Length == 0 ? [new TokenHealth(name, token.Id, HealthSeverity.Information, "Overall", "Healthy.")]
            : findings.Select(f => new TokenHealth(name, token.Id, f.Severity, f.Check, f.Message)).ToList();
        return new LicenseReportToken(token, health, status == VppTokenSyncStatus.completed ? synced : lastCompleted, error);
    }

    private static LicenseReport Report(params LicenseReportRow[] rows) => new(Now, rows);

    private static string Html(LicenseReport report)
    {
        var writer = new StringWriter();
        report.WriteHtml(writer);
        return writer.ToString();
    }

    /// <summary>The HTML between the element with this id and the next h2.</summary>
    private static string Section(string html, string id)
    {
        var start = html.IndexOf($"<h2 id=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {id}");
        var end = html.IndexOf("<h2 ", start + 1, StringComparison.Ordinal);
        return end < 0 ? html[start..] : html[start..end];
    }

    private static List<string> Cells(string tableRow) =>
        Regex.Matches(tableRow, "<t[dh][^>]*>(.*?)</t[dh]>").Select(m => Text(m.Groups[1].Value)).ToList();

    /// <summary>What a reader sees: the text without tags, white space collapsed.</summary>
    private static string Text(string html) =>
        WebUtility.HtmlDecode(Regex.Replace(Regex.Replace(Regex.Replace(html, "<(br|ul|/li|/p|/t[dhr]|/h\\d)[^>]*>", " "), "<[^>]+>", ""), "\\s+", " ")).Trim();

    private static List<string> TableRows(string html) => Regex.Matches(html, "<tr[^>]*>.*?</tr>").Select(m => m.Value).ToList();

    [Fact]
    public void Csv_quotes_what_needs_it_and_never_lets_a_spreadsheet_run_a_name_as_a_formula()
    {
        var writer = new StringWriter();
        Report(Row("Maps, \"Pro\"", 10, 4, retired: 2, given: 3), Row("=HYPERLINK(\"x\")", 5, 0, waiting: 2), Row("Free App", null, 7),
            Row("-1+2", 3, 1), Row("@SUM(A1)", 3, 1)).WriteCsv(writer);
        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("Token,Type,Name,AdamId,PricingParam,Unlimited,TotalCount,AssignedCount,AvailableCount,RetiredCount,UsedPercent,GivenByVppPS,LicensingType,Waiting", lines[0]);
        Assert.Equal("North School,App,\"Maps, \"\"Pro\"\"\",1,STDQ,False,10,4,4,2,50.0,3,UserOrDevice,0", lines[1]);
        Assert.Equal("North School,App,\"'=HYPERLINK(\"\"x\"\")\",1,STDQ,False,5,0,5,0,0.0,0,UserOrDevice,2", lines[2]);
        Assert.Equal("North School,App,Free App,1,STDQ,True,,7,,0,,0,UserOrDevice,0", lines[3]);
        Assert.Equal("North School,App,\"'-1+2\",1,STDQ,False,3,1,2,0,33.3,0,UserOrDevice,0", lines[4]);
        Assert.Equal("North School,App,\"'@SUM(A1)\",1,STDQ,False,3,1,2,0,33.3,0,UserOrDevice,0", lines[5]);
    }

    [Fact]
    public void Html_is_self_contained_and_encodes_every_name()
    {
        var html = Html(new LicenseReport(Now, [Row("<script>alert(1)</script>", 10, 10), Row("Hamlet", 20, 5, type: "Book")],
            [Token("North School")], [new LicenseReportWaiting("North School", TokenId("North School"), "1", "STDQ", "<b>x</b>", 3, ["<Cart>"])]));

        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<b>x", html);
        Assert.DoesNotContain("<Cart>", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("1 app and 1 book; 15 of 30 paid licenses in use", html);
        Assert.Contains("fill=\"#b00020\"", html); // no license left: a red bar
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", ""));
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain(" src=", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain(" on", Regex.Replace(html, ">[^<]*<", "><")); // no event handler attributes
        Assert.Contains("Generated 2026-11-25 08:00 UTC", html);
    }

    [Fact]
    public void An_empty_report_says_what_to_do()
    {
        Assert.Contains("run Sync-VppToken", Html(Report()));
    }

    [Fact]
    public void The_page_opens_with_a_summary_per_token_and_the_organizations_totals()
    {
        var report = new LicenseReport(Now,
            [
                Row("Keynote", 100, 40, given: 10), Row("Pages", 50, 50, waiting: 4, adamId: "2"), Row("Classroom", null, 70, adamId: "3"),
                Row("Keynote", 30, 10, token: "South School"), Row("Hamlet", 20, 5, type: "Book", token: "South School", adamId: "4"),
            ],
            [Token("North School"), Token("South School")],
            [new LicenseReportWaiting("North School", TokenId("North School"), "2", "STDQ", "Pages", 4, ["Cart A"])]);
        var html = Html(report);

        var order = new[] { "summary", "running-out", "waiting", "charts", "all" }.Select(id => html.IndexOf($"<h2 id=\"{id}\"", StringComparison.Ordinal)).ToList();
        Assert.All(order, i => Assert.True(i > 0));
        Assert.Equal(order.Order().ToList(), order);

        var summary = Section(html, "summary");
        Assert.Contains("2 tokens: 4 apps and 1 book; 105 of 200 paid licenses in use (52.5 %), 95 available; 10 given by VppPS; 4 members waiting for a license.", Text(summary));
        var rows = TableRows(summary);
        Assert.Equal(["Token", "Health", "Last sync", "Expires", "Apps", "Books", "In use", "Owned", "Available", "Given by VppPS", "Waiting"], Cells(rows[0]));
        var north = Cells(rows[1]);
        Assert.Equal("North School", north[0]);
        Assert.Equal("Healthy", north[1]);
        Assert.Equal("2026-11-25 06:00 UTC (2 hours ago) completed", north[2]);
        Assert.Equal("2027-09-21 in 300 days", north[3]);
        Assert.Equal(["3", "0", "90", "150", "60", "10", "4"], north.Skip(4));
        Assert.Equal(["South School", "Healthy"], Cells(rows[2]).Take(2));
        Assert.Equal(["1", "1", "15", "50", "35", "0", ""], Cells(rows[2]).Skip(4));
        Assert.Equal(["Total", "All healthy", "", "", "4", "1", "105", "200", "95", "10", "4"], Cells(rows[3]));
        Assert.Contains("<a href=\"#t1\">North School</a>", rows[1]);
        Assert.Contains("<details id=\"t1\" open>", html);
        Assert.Contains("<details id=\"t2\" open>", html);
    }

    [Fact]
    public void Stale_claimed_expiring_and_expired_tokens_are_flagged_in_the_summary_and_where_their_numbers_are_shown()
    {
        var report = new LicenseReport(Now,
            [Row("Keynote", 10, 1), Row("Keynote", 10, 2, token: "Failed School"), Row("Keynote", 10, 3, token: "Claimed School"),
             Row("Keynote", 10, 4, token: "Expiring School"), Row("Keynote", 10, 5, token: "Old School")],
            [
                Token("Claimed School", VppTokenState.assignedToExternalMDM, lastSync: Now.AddDays(-1), status: VppTokenSyncStatus.failed, lastCompleted: Now.AddDays(-2),
                    error: "Another management system ('Jamf Pro') has taken over the location.",
                    findings: [(HealthSeverity.Error, "State", "Another management system holds the location (claimed by 'Jamf Pro'). Set-VppToken -ClaimFromExternalMdm takes it back."),
                               (HealthSeverity.Warning, "Sync", "The last sync failed. See Get-VppSyncHistory -Token 'Claimed School'.")]),
                Token("Expiring School", expiresInDays: 12, findings: [(HealthSeverity.Warning, "Expiry", "Expires in 12 days, on 2026-12-07 (15-day warning). Renew it with Update-VppToken.")]),
                Token("Failed School", lastSync: Now.AddDays(-3), status: VppTokenSyncStatus.failed, lastCompleted: Now.AddDays(-4).AddHours(-2), error: "Apple could not be reached",
                    findings: [(HealthSeverity.Warning, "Sync", "The last sync failed. See Get-VppSyncHistory -Token 'Failed School'.")]),
                Token("North School"),
                Token("Old School", expiresInDays: -2, state: VppTokenState.expired,
                    findings: [(HealthSeverity.Error, "Expiry", "Expired on 2026-11-23. Download a new token and run Update-VppToken -Name 'Old School'.")]),
                Token("Waiting School", status: VppTokenSyncStatus.none, findings: [(HealthSeverity.Information, "Sync", "Never synced. Run Sync-VppToken.")]),
            ]);
        var html = Html(report);
        var rows = TableRows(Section(html, "summary")).Skip(1).Select(Cells).ToDictionary(c => c[0]);

        Assert.StartsWith("Claimed by another MDM; Stale: last sync failed", rows["Claimed School"][1]);
        Assert.Contains("Set-VppToken -ClaimFromExternalMdm", rows["Claimed School"][1]);
        Assert.StartsWith("Expires in 12 days", rows["Expiring School"][1]);
        Assert.Equal("2026-12-07 in 12 days", rows["Expiring School"][3]);
        Assert.StartsWith("Stale: last sync failed", rows["Failed School"][1]);
        Assert.Equal("2026-11-22 08:00 UTC (3 days ago) failed numbers as of 2026-11-21 06:00 UTC", rows["Failed School"][2]);
        Assert.Contains("The last sync failed. See Get-VppSyncHistory -Token 'Failed School'. It said: Apple could not be reached", rows["Failed School"][1]);
        Assert.Equal("Healthy", rows["North School"][1]);
        Assert.StartsWith("Expired", rows["Old School"][1]);
        Assert.Contains("expired", rows["Old School"][3]);
        Assert.StartsWith("Never synced", rows["Waiting School"][1]);
        Assert.Equal("never", rows["Waiting School"][2]);
        Assert.Equal("5 of 6 need attention", rows["Total"][1]);
        Assert.Contains("6 tokens (5 need attention)", Text(html));
        // Severity shows: an error in red, a warning in amber.
        Assert.Contains("<span class=\"error\">Claimed by another MDM", html);
        Assert.Contains("<span class=\"warn\">Expires in 12 days", html);
        // Where a stale token's numbers appear, they say how old they are.
        Assert.Contains("numbers as of 2026-11-21 06:00 UTC", Section(html, "all"));
        Assert.Contains("class=\"stale\" title=\"numbers from an older sync\">Failed School</a>", Section(html, "running-out"));
        Assert.Contains("2 / 10 (stale)", Section(html, "charts"));
        Assert.DoesNotContain("1 / 10 (stale)", Section(html, "charts"));
    }

    [Fact]
    public void Running_out_lists_the_fewest_licenses_left_first_then_the_members_waiting()
    {
        var report = new LicenseReport(Now,
            [
                Row("Plenty", 1000, 10, adamId: "1"), Row("Full", 30, 30, adamId: "2"), Row("Full and waited for", 20, 20, waiting: 7, adamId: "3"),
                Row("Nearly", 100, 97, adamId: "4"), Row("Free", null, 500, adamId: "5"), Row("Small", 5, 1, adamId: "6"),
                Row("Full elsewhere", 10, 10, token: "South School", waiting: 2, adamId: "3"),
            ],
            [Token("North School"), Token("South School")],
            [
                new LicenseReportWaiting("North School", TokenId("North School"), "3", "STDQ", "Full and waited for", 7, ["Cart A", "Cart B"]),
                new LicenseReportWaiting("South School", TokenId("South School"), "3", "STDQ", "Full elsewhere", 2, ["Teachers"]),
            ]);

        Assert.Equal(["Full and waited for", "Full elsewhere", "Full", "Nearly", "Small", "Plenty"], report.RunningOut().Select(r => r.Asset.Name));
        Assert.Equal(["Full and waited for", "Full elsewhere"], report.RunningOut(2).Select(r => r.Asset.Name));

        var html = Html(report);
        var running = TableRows(Section(html, "running-out")).Skip(1).Select(Cells).ToList();
        Assert.Equal(["Full and waited for", "Full elsewhere", "Full", "Nearly", "Small", "Plenty"], running.Select(c => c[0]));
        Assert.Equal(["Full and waited for", "North School", "App", "0", "20", "20", "100.0 %", "7"], running[0]);
        Assert.Contains("3 have none left; 4 are 90 % or more in use", Text(Section(html, "running-out")));
        var waiting = TableRows(Section(html, "waiting")).Skip(1).Select(Cells).ToList();
        Assert.Equal([["Full and waited for", "North School", "7", "0", "Cart A, Cart B"], ["Full elsewhere", "South School", "2", "0", "Teachers"]], waiting);
        Assert.Contains("Get-VppAssignmentPlan lists who they are", Text(html));
    }

    [Fact]
    public void Nothing_waiting_and_nothing_paid_say_so()
    {
        var html = Html(new LicenseReport(Now, [Row("Free", null, 5)], [Token("North School")]));
        Assert.Contains("No member is waiting", html);
        Assert.Contains("free apps never run out", html);
        Assert.DoesNotContain("<svg", html);
    }

    [Fact]
    public void At_2000_apps_the_page_opens_with_the_summary_charts_only_the_top_apps_and_groups_the_full_table_per_token()
    {
        var names = new[] { "Alpha District", "Beta District", "Gamma District", "Delta District" };
        var rows = Enumerable.Range(0, 2000).Select(i =>
        {
            var total = 20 + i * 37 % 400;
            return Row($"App {i:D4} with a rather long name for a chart label", total, i * 53 % (total + 1), token: names[i % 4],
                type: i % 10 == 0 ? "Book" : "App", adamId: (1_100_000_000 + i).ToString(), given: i % 3);
        }).ToList();
        var report = new LicenseReport(Now, rows, names.Order().Select(n => Token(n)).ToList());
        var html = Html(report);

        // Bounded: the page, and what comes before the full table, whatever the number of apps.
        Assert.InRange(html.Length, 1, 1_000_000);
        var all = html.IndexOf("<h2 id=\"all\"", StringComparison.Ordinal);
        Assert.InRange(all, 1, 60_000);
        // Two charts, before the full table: the 4 tokens and the 15 most used apps.
        Assert.Equal(2, Regex.Matches(html, "<svg ").Count);
        Assert.True(html.LastIndexOf("<svg ", StringComparison.Ordinal) < all);
        Assert.Equal(2 * (4 + 15), Regex.Matches(html, "<rect ").Count);
        var heights = Regex.Matches(html, "<svg [^>]*height=\"(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.All(heights, h => Assert.InRange(h, 1, 400));
        var top = rows.OrderByDescending(r => r.Asset.AssignedCount).ThenByDescending(r => r.UsedPercent).ThenBy(r => r.Asset.Name, StringComparer.OrdinalIgnoreCase).First();
        var topChart = Regex.Matches(html, "<svg .*?</svg>", RegexOptions.Singleline)[1].Value;
        Assert.StartsWith(top.Asset.Name![..20], Regex.Match(topChart, "<text x=\"0\"[^>]*>(.*?)</text>").Groups[1].Value);
        Assert.Contains("The 15 most used paid apps and books of 2,000", Text(html));
        Assert.Contains("The 20 paid apps and books with the fewest licenses left, fewest first (of 2,000)", Text(html));
        Assert.Equal(21, TableRows(Section(html, "running-out")).Count);

        // The full table: every app, grouped per token with anchors, most used first, folded when long.
        var full = Section(html, "all");
        Assert.Equal(2000 + 4, TableRows(full).Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Contains($"<details id=\"t{i + 1}\"><summary><h3>{names.Order().ElementAt(i)}</h3>", full);
            Assert.Contains($"<a href=\"#t{i + 1}\">{names.Order().ElementAt(i)}</a>", full);
        }
        var alpha = full[full.IndexOf("id=\"t1\"", StringComparison.Ordinal)..full.IndexOf("id=\"t2\"", StringComparison.Ordinal)];
        var assigned = TableRows(alpha).Skip(1).Select(r => long.Parse(Cells(r)[3], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(500, assigned.Count);
        Assert.Equal(assigned.OrderDescending().ToList(), assigned);
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
        var report = new LicenseReport(Now, [Row("Maps", 10, 4)], subscriptions: [reads]);

        var csv = new StringWriter();
        report.WriteCsv(csv);
        Assert.Contains("North School,Subscription,Riverside Reads (1640000101),1640000101,,False,35,6,29,,17.1,,User,", csv.ToString());

        var html = new StringWriter();
        report.WriteHtml(html);
        Assert.Contains("<h2 id=\"subscriptions\">Subscriptions</h2>", html.ToString());
        Assert.Contains("<a href=\"#subscriptions\">Subscriptions</a>", html.ToString());
        Assert.Contains("6 of 35 seats assigned.", html.ToString());
        Assert.Contains("Forecast: 10 seat(s) lapse at the end of their billing period (the first on 2027-01-09), and 3 user(s) lose the seat they hold then.", html.ToString());
    }

    [Fact]
    public void The_forecast_dates_the_first_period_end_at_which_seats_lapse_not_one_where_every_seat_renews()
    {
        var reads = new VppPS.Engine.Subscriptions.VppSubscription
        {
            Token = "North School", AdamId = "1640000101", Status = "ACTIVE", PeriodEndDate = new DateTime(2027, 1, 9),
            AssignedRenewing = 3, AssignedExpiring = 3, AvailableRenewing = 22, AvailableExpiring = 7, TotalRenewing = 25, TotalExpiring = 10,
        };
        var notes = new VppPS.Engine.Subscriptions.VppSubscription
        {
            Token = "North School", AdamId = "1640000102", Status = "ACTIVE", PeriodEndDate = new DateTime(2026, 12, 11),
            AssignedRenewing = 1, AssignedExpiring = 0, AvailableRenewing = 9, AvailableExpiring = 0, TotalRenewing = 10, TotalExpiring = 0,
        };

        Assert.Equal("Forecast: 10 seat(s) lapse at the end of their billing period (the first on 2027-01-09), and 3 user(s) lose the seat they hold then.",
            LicenseReport.Forecast([reads, notes]));
        Assert.Equal("Forecast: every seat renews at the end of its billing period.", LicenseReport.Forecast([notes]));
    }
}
