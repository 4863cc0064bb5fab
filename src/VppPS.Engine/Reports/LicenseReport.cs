using System.Globalization;
using System.Net;
using System.Text;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;
using VppPS.Engine.Subscriptions;

namespace VppPS.Engine.Reports;

public enum LicenseReportFormat { Html, Csv }

/// <summary>One app or book under one token, as the report shows it.</summary>
public sealed record LicenseReportRow(LicensedAsset Asset, long GivenByVppPS)
{
    /// <summary>Assigned as a share of what can be assigned (total less retired); null for free apps.</summary>
    public double? UsedPercent => Asset.Unlimited ? null
        : Asset.TotalCount.GetValueOrDefault() - Asset.RetiredCount <= 0 ? (Asset.AssignedCount > 0 ? 100 : 0)
        : Math.Round(100.0 * Asset.AssignedCount / (Asset.TotalCount.GetValueOrDefault() - Asset.RetiredCount), 1);
}

/// <summary>
/// License use per app, book and token, as of the last sync: a CSV file for spreadsheets and a
/// self-contained HTML page (bar charts drawn in SVG, no script, nothing fetched) for people.
/// Only names and counts go in: never a token's contents.
/// </summary>
public sealed class LicenseReport
{
    internal LicenseReport(DateTimeOffset generatedAt, IReadOnlyList<LicenseReportRow> rows, IReadOnlyList<VppSubscription>? subscriptions = null)
    {
        GeneratedAt = generatedAt;
        Rows = rows;
        Subscriptions = subscriptions ?? [];
    }

    public DateTimeOffset GeneratedAt { get; }
    public IReadOnlyList<LicenseReportRow> Rows { get; }
    /// <summary>Subscriptions of the same tokens, with their seats.</summary>
    public IReadOnlyList<VppSubscription> Subscriptions { get; }

    /// <param name="tokenPatterns">Token names (wildcards); null: every token.</param>
    /// <param name="tokenIds">Only these tokens as well; null: no such limit.</param>
    public static LicenseReport Build(VppContext context, string[]? tokenPatterns, IReadOnlySet<Guid>? tokenIds = null)
    {
        var inventory = new InventoryQueries(context.Store);
        var assets = inventory.Assets(new AssetFilter("App", TokenPatterns: tokenPatterns), summary: false)
            .Concat(inventory.Assets(new AssetFilter("Book", TokenPatterns: tokenPatterns), summary: false));
        var given = context.Store.Read(c =>
        {
            var counts = new Dictionary<(Guid, string, string), long>();
            using var command = c.Command(null, """
                SELECT t.id, ml.adam_id, ml.pricing_param, count(*) FROM managed_licenses ml JOIN tokens t ON t.key = ml.token_key
                GROUP BY ml.token_key, ml.adam_id, ml.pricing_param
                """);
            using var reader = command.ExecuteReader();
            while (reader.Read()) counts[(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2))] = reader.GetInt64(3);
            return counts;
        });
        var rows = assets
            .Where(a => tokenIds is null || (a.TokenId is { } id && tokenIds.Contains(id)))
            .Select(a => new LicenseReportRow(a, given.GetValueOrDefault((a.TokenId ?? Guid.Empty, a.AdamId, a.PricingParam))))
            .OrderBy(r => r.Asset.Token, StringComparer.OrdinalIgnoreCase)
            .ThenBy(r => r.Asset.ProductType == "Book")
            .ThenBy(r => r.Asset.Name ?? r.Asset.AdamId, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var tokensShown = inventory.Assets(new AssetFilter("App", TokenPatterns: tokenPatterns), summary: false).Select(a => a.Token)
            .Concat(inventory.Assets(new AssetFilter("Book", TokenPatterns: tokenPatterns), summary: false).Select(a => a.Token)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var subscriptions = new SubscriptionService(context).List(tokenIds?.ToList())
            .Where(s => tokenPatterns is null || tokensShown.Contains(s.Token))
            .OrderBy(s => s.Token, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
        return new LicenseReport(context.Clock.UtcNow, rows, subscriptions);
    }

    /// <summary>Html for .htm and .html, Csv for .csv; null for anything else.</summary>
    public static LicenseReportFormat? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".html" or ".htm" => LicenseReportFormat.Html,
        ".csv" => LicenseReportFormat.Csv,
        _ => null,
    };

    /// <summary>
    /// Writes the report to <paramref name="path"/> whole (see AtomicFile): a failure never leaves
    /// a half-written report, nor destroys the previous one.
    /// </summary>
    public void Save(string path, LicenseReportFormat format)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
            throw new VppException(VppErrorKind.InvalidArgument, "VppReportFolderMissing", $"The folder '{folder}' does not exist. Create it, or give another -Path.", path);
        try
        {
            AtomicFile.Replace(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: format == LicenseReportFormat.Csv), writer =>
            {
                if (format == LicenseReportFormat.Csv) WriteCsv(writer);
                else WriteHtml(writer);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new VppException(VppErrorKind.InvalidArgument, "VppReportNotWritten", $"The report could not be written to '{path}': {e.Message}", path);
        }
    }

    private static readonly string[] CsvColumns =
        ["Token", "Type", "Name", "AdamId", "PricingParam", "Unlimited", "TotalCount", "AssignedCount", "AvailableCount", "RetiredCount", "UsedPercent", "GivenByVppPS", "LicensingType"];

    public void WriteCsv(TextWriter writer)
    {
        writer.WriteLine(string.Join(",", CsvColumns));
        foreach (var row in Rows)
        {
            var a = row.Asset;
            string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";
            writer.WriteLine(string.Join(",", new[]
            {
                a.Token, a.ProductType, a.Name ?? "", a.AdamId, a.PricingParam, a.Unlimited ? "True" : "False",
                Count(a.TotalCount), a.AssignedCount.ToString(CultureInfo.InvariantCulture), Count(a.AvailableCount),
                a.RetiredCount.ToString(CultureInfo.InvariantCulture), row.UsedPercent?.ToString("0.0", CultureInfo.InvariantCulture) ?? "",
                row.GivenByVppPS.ToString(CultureInfo.InvariantCulture), a.LicensingType,
            }.Select(CsvField)));
        }
        // Subscriptions: seats of both renewal states added up; users only.
        foreach (var s in Subscriptions)
            writer.WriteLine(string.Join(",", new[]
            {
                s.Token, "Subscription", s.DisplayName, s.AdamId, "", "False", N(s.Total), N(s.Assigned), N(s.Available), "",
                s.Total <= 0 ? "" : Math.Round(100.0 * s.Assigned / s.Total, 1).ToString("0.0", CultureInfo.InvariantCulture), "", "User",
            }.Select(CsvField)));
        static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The forecast line: seats lost and seats ending at the next period end of the given subscriptions.</summary>
    public static string Forecast(IReadOnlyList<VppSubscription> subscriptions)
    {
        var next = subscriptions.Where(s => s.PeriodEndDate is not null).Min(s => s.PeriodEndDate);
        var lapsing = subscriptions.Sum(s => s.SeatsLapsing);
        var ending = subscriptions.Sum(s => s.AssignmentsEnding);
        return $"Forecast: {lapsing} seat(s) lapse at the end of their billing period{(next is { } date ? $" (the next on {date:yyyy-MM-dd})" : "")}, " +
               $"and {ending} user(s) lose the seat they hold then.";
    }

    /// <summary>RFC 4180: quoted when it holds a comma, quote or line break; a leading = + - @ is quoted too, so no spreadsheet runs it as a formula.</summary>
    private static string CsvField(string value)
    {
        var formula = value.Length > 0 && "=+-@".Contains(value[0]) && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (formula) value = "'" + value;
        return formula || value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    public void WriteHtml(TextWriter writer)
    {
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
        var generated = GeneratedAt.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        writer.WriteLine($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>VppPS license report</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; color: #1d1d1f; }
            h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d2d2d7; }
            table { border-collapse: collapse; margin-top: .8em; } th, td { padding: .25em .7em; text-align: right; }
            th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; } tr:nth-child(even) { background: #f5f5f7; }
            .note { color: #6e6e73; } .full { color: #b00020; font-weight: 600; } svg text { font-size: 12px; }
            </style></head><body>
            <h1>VppPS license report</h1>
            <p class="note">Generated {{E(generated)}} from the last sync of each token. Assigned = in use; available = still to hand out.</p>
            """);
        if (Rows.Count == 0)
            writer.WriteLine("<p>No apps or books yet: add a token with Add-VppToken and run Sync-VppToken.</p>");
        foreach (var token in Rows.GroupBy(r => r.Asset.Token, StringComparer.OrdinalIgnoreCase))
        {
            var counted = token.Where(r => !r.Asset.Unlimited).ToList();
            writer.WriteLine($"<h2>{E(token.Key)}</h2>");
            static string Some(int count, string what) => $"{count} {what}{(count == 1 ? "" : "s")}";
            writer.WriteLine($"<p>{Some(token.Count(r => r.Asset.ProductType != "Book"), "app")} and {Some(token.Count(r => r.Asset.ProductType == "Book"), "book")}; " +
                             $"{N(counted.Sum(r => r.Asset.AssignedCount))} of {N(counted.Sum(r => r.Asset.TotalCount.GetValueOrDefault() - r.Asset.RetiredCount))} paid licenses in use, " +
                             $"{N(token.Sum(r => r.GivenByVppPS))} given by VppPS.</p>");
            WriteChart(writer, counted);
            writer.WriteLine("<table><tr><th>Name</th><th>Type</th><th>Total</th><th>Assigned</th><th>Available</th><th>Retired</th><th>Used</th><th>Given by VppPS</th></tr>");
            foreach (var row in token)
            {
                var a = row.Asset;
                var used = row.UsedPercent is { } percent ? percent.ToString("0.0", CultureInfo.InvariantCulture) + " %" : "";
                writer.WriteLine($"<tr><td>{E(a.Name ?? a.AdamId)}</td><td>{E(a.ProductType)}</td><td>{(a.Unlimited ? "unlimited" : N(a.TotalCount.GetValueOrDefault()))}</td>" +
                                 $"<td>{N(a.AssignedCount)}</td><td{(a.AvailableCount <= 0 && !a.Unlimited ? " class=\"full\"" : "")}>{(a.Unlimited ? "unlimited" : N(a.AvailableCount.GetValueOrDefault()))}</td>" +
                                 $"<td>{N(a.RetiredCount)}</td><td>{used}</td><td>{N(row.GivenByVppPS)}</td></tr>");
            }
            writer.WriteLine("</table>");
            WriteSubscriptions(writer, Subscriptions.Where(x => string.Equals(x.Token, token.Key, StringComparison.OrdinalIgnoreCase)).ToList());
        }
        // Tokens with subscriptions and no app or book.
        foreach (var token in Subscriptions.Where(x => !Rows.Any(r => string.Equals(r.Asset.Token, x.Token, StringComparison.OrdinalIgnoreCase)))
                     .GroupBy(x => x.Token, StringComparer.OrdinalIgnoreCase))
        {
            writer.WriteLine($"<h2>{E(token.Key)}</h2>");
            WriteSubscriptions(writer, token.ToList());
        }
        if (Subscriptions.Count > 0)
            writer.WriteLine($"<p><strong>Subscriptions, all tokens:</strong> {N(Subscriptions.Sum(x => x.Assigned))} of {N(Subscriptions.Sum(x => x.Total))} seats assigned. " +
                             $"{E(Forecast(Subscriptions))}</p>");
        writer.WriteLine("</body></html>");
    }

    /// <summary>A token's subscriptions: seats by renewal state and the forecast of the next period end.</summary>
    private static void WriteSubscriptions(TextWriter writer, IReadOnlyList<VppSubscription> subscriptions)
    {
        if (subscriptions.Count == 0) return;
        static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
        writer.WriteLine("<h3>Subscriptions</h3>");
        writer.WriteLine($"<p>{subscriptions.Sum(s => s.Assigned)} of {subscriptions.Sum(s => s.Total)} seats assigned. {E(Forecast(subscriptions))}</p>");
        writer.WriteLine("<table><tr><th>Subscription</th><th>Status</th><th>Period end</th><th>Assigned (renewing + expiring)</th><th>Available</th><th>Total</th><th>Lapse at period end</th></tr>");
        foreach (var s in subscriptions)
            writer.WriteLine($"<tr><td>{E(s.DisplayName)}</td><td>{E(s.Status)}</td><td>{s.PeriodEndDate:yyyy-MM-dd}</td>" +
                             $"<td>{s.AssignedRenewing} + {s.AssignedExpiring}</td><td>{s.AvailableRenewing} + {s.AvailableExpiring}</td><td>{s.TotalRenewing} + {s.TotalExpiring}</td>" +
                             $"<td>{s.SeatsLapsing}</td></tr>");
        writer.WriteLine("</table>");
    }

    /// <summary>One bar per paid app or book: its length the licenses owned (to the token's largest), filled as far as they are in use.</summary>
    private static void WriteChart(TextWriter writer, IReadOnlyList<LicenseReportRow> rows)
    {
        if (rows.Count == 0) return;
        const int label = 260, bar = 420, height = 20;
        var largest = Math.Max(1, rows.Max(r => r.Asset.TotalCount.GetValueOrDefault() - r.Asset.RetiredCount));
        writer.WriteLine($"<svg role=\"img\" aria-label=\"Licenses in use per app and book\" width=\"{label + bar + 140}\" height=\"{rows.Count * height + 4}\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (var i = 0; i < rows.Count; i++)
        {
            var a = rows[i].Asset;
            var owned = Math.Max(0, a.TotalCount.GetValueOrDefault() - a.RetiredCount);
            var ownedWidth = Math.Max(1, (int)(bar * owned / largest));
            var usedWidth = owned == 0 ? 0 : (int)(ownedWidth * Math.Min(1.0, (double)a.AssignedCount / owned));
            var y = i * height + 2;
            var name = a.Name ?? a.AdamId;
            if (name.Length > 38) name = name[..37] + "…";
            var color = a.AvailableCount <= 0 ? "#b00020" : "#0071e3";
            writer.WriteLine($"<text x=\"0\" y=\"{y + 14}\">{WebUtility.HtmlEncode(name)}</text>" +
                             $"<rect x=\"{label}\" y=\"{y + 3}\" width=\"{ownedWidth}\" height=\"{height - 6}\" fill=\"#e8e8ed\"/>" +
                             $"<rect x=\"{label}\" y=\"{y + 3}\" width=\"{usedWidth}\" height=\"{height - 6}\" fill=\"{color}\"/>" +
                             $"<text x=\"{label + ownedWidth + 6}\" y=\"{y + 14}\">{a.AssignedCount.ToString("N0", CultureInfo.InvariantCulture)} / {owned.ToString("N0", CultureInfo.InvariantCulture)}</text>");
        }
        writer.WriteLine("</svg>");
    }
}
