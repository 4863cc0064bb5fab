using System.Globalization;
using System.Text;
using VppPS.Engine.Assignments;
using VppPS.Engine.Inventory;
using VppPS.Engine.Store;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Sync;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Reports;

public enum LicenseReportFormat { Html, Csv }

/// <summary>One app or book under one token, as the report shows it.</summary>
/// <param name="Waiting">Members that assignments want licensed and that wait for a license of it (the plan's waiting items).</param>
public sealed record LicenseReportRow(LicensedAsset Asset, long GivenByVppPS, int Waiting = 0)
{
    /// <summary>Assigned as a share of what can be assigned (total less retired); null for free apps.</summary>
    public double? UsedPercent => Asset.Unlimited ? null
        : Asset.TotalCount.GetValueOrDefault() - Asset.RetiredCount <= 0 ? (Asset.AssignedCount > 0 ? 100 : 0)
        : Math.Round(100.0 * Asset.AssignedCount / (Asset.TotalCount.GetValueOrDefault() - Asset.RetiredCount), 1);

    /// <summary>Licenses that can be assigned: total less retired (0 for free apps, which are not counted).</summary>
    public long Owned => Asset.Unlimited ? 0 : Math.Max(0, Asset.TotalCount.GetValueOrDefault() - Asset.RetiredCount);

    /// <summary>Licenses still to hand out, never below 0 (0 for free apps, which are not counted).</summary>
    public long Available => Asset.Unlimited ? 0 : Math.Max(0, Asset.AvailableCount.GetValueOrDefault());
}

/// <summary>One token as the report's summary shows it: what Test-VppToken finds about it, and its last sync.</summary>
/// <param name="Findings">Test-VppToken's findings (TokenService.Test).</param>
/// <param name="LastCompletedSync">When the last sync that completed ended: the report's numbers are as of then; null when none has.</param>
/// <param name="LastSyncError">The error of the last sync when it failed.</param>
public sealed record LicenseReportToken(VppToken Token, IReadOnlyList<TokenHealth> Findings, DateTimeOffset? LastCompletedSync, string? LastSyncError = null)
{
    /// <summary>The worst finding: Information when the token is healthy (or only never synced).</summary>
    public HealthSeverity Health => Findings.Count == 0 ? HealthSeverity.Information : Findings.Max(f => f.Severity);

    /// <summary>The numbers are older than they should be: the last sync failed, or it is more than twice the sync interval old.</summary>
    public bool Stale => LastCompletedSync is not null && Findings.Any(f => f.Check == "Sync" && f.Severity != HealthSeverity.Information);

    /// <summary>Short labels of what is wrong ("Claimed by another MDM", "Expires in 12 days", "Stale"); empty when healthy.</summary>
    public IReadOnlyList<string> Flags(DateTimeOffset now)
    {
        var flags = new List<string>();
        if (Token.State == VppTokenState.assignedToExternalMDM) flags.Add("Claimed by another MDM");
        else if (Token.State == VppTokenState.invalid) flags.Add("Invalid");
        else if (Token.State == VppTokenState.duplicateLocationId) flags.Add("Duplicate organizational unit (location)");
        if (Findings.Any(f => f.Check == "Expiry"))
        {
            var days = Token.DaysUntilExpiration(now);
            flags.Add(Token.State == VppTokenState.expired || days < 0 ? "Expired" : days == 1 ? "Expires in 1 day" : $"Expires in {days} days");
        }
        if (Stale) flags.Add(Token.LastSyncStatus == VppTokenSyncStatus.failed ? "Stale: last sync failed" : "Stale: not synced lately");
        if (LastCompletedSync is null) flags.Add("Never synced");
        return flags;
    }
}

/// <summary>Members waiting for a license of one app or book under one token, from the token's assignment plan.</summary>
public sealed record LicenseReportWaiting(string Token, Guid TokenId, string AdamId, string PricingParam, string? Name, int Count, IReadOnlyList<string> Groups);

/// <summary>
/// License use per app, book and token, as of the last sync: a CSV file for spreadsheets and a
/// self-contained HTML page (charts drawn in SVG, no script, nothing fetched) for people. The page
/// opens with a summary per token (health, last sync, expiry, totals), then what is running out
/// and who waits for a license, charts of the most used apps only, and the full table per token.
/// Only names and counts go in: never a token's contents, nor who the members are.
/// </summary>
public sealed class LicenseReport
{
    internal LicenseReport(DateTimeOffset generatedAt, IReadOnlyList<LicenseReportRow> rows,
        IReadOnlyList<LicenseReportToken>? tokens = null, IReadOnlyList<LicenseReportWaiting>? waiting = null,
        IReadOnlyList<VppSubscription>? subscriptions = null)
    {
        GeneratedAt = generatedAt;
        Rows = rows;
        Tokens = tokens ?? [];
        Waiting = waiting ?? [];
        Subscriptions = subscriptions ?? [];
    }

    public DateTimeOffset GeneratedAt { get; }
    /// <summary>Per token (by name), apps then books, by name.</summary>
    public IReadOnlyList<LicenseReportRow> Rows { get; }
    /// <summary>The tokens in the report, by name, synced or not.</summary>
    public IReadOnlyList<LicenseReportToken> Tokens { get; }
    /// <summary>Per app or book and token, the members waiting for a license; most waiting first.</summary>
    public IReadOnlyList<LicenseReportWaiting> Waiting { get; }

    /// <summary>Subscriptions of the same tokens, with their seats; by token, then name.</summary>
    public IReadOnlyList<VppSubscription> Subscriptions { get; }

    /// <summary>How many paid apps and books the "running out" list shows.</summary>
    public const int RunningOutCount = 20;

    /// <summary>
    /// The paid apps and books with the fewest licenses left, fewest first (then most members
    /// waiting, then the largest share in use); at most <paramref name="count"/>.
    /// </summary>
    public IReadOnlyList<LicenseReportRow> RunningOut(int count = RunningOutCount) => Rows
        .Where(r => !r.Asset.Unlimited)
        .OrderBy(r => r.Asset.AvailableCount)
        .ThenByDescending(r => r.Waiting)
        .ThenByDescending(r => r.UsedPercent)
        .ThenBy(r => r.Asset.Name ?? r.Asset.AdamId, StringComparer.OrdinalIgnoreCase)
        .ThenBy(r => r.Asset.Token, StringComparer.OrdinalIgnoreCase)
        .Take(count)
        .ToList();

    /// <param name="tokenPatterns">Token names (wildcards); null: every token.</param>
    /// <param name="tokenIds">Only these tokens as well; null: no such limit.</param>
    public static LicenseReport Build(VppContext context, string[]? tokenPatterns, IReadOnlySet<Guid>? tokenIds = null)
    {
        var inventory = new InventoryQueries(context.Store);
        var tokenService = new TokenService(context);
        var named = tokenPatterns is null ? null : inventory.TokenIds(tokenPatterns);
        var tokens = tokenService.List()
            .Where(t => (tokenIds is null || tokenIds.Contains(t.Id)) && (named is null || named.Contains(t.Id)))
            .OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();

        var runs = new SyncRunStore(context);
        var applier = new AssignmentApplier(context);
        var summaries = new List<LicenseReportToken>();
        var waiting = new List<LicenseReportWaiting>();
        foreach (var token in tokens)
        {
            var lastCompleted = token.LastSyncStatus == VppTokenSyncStatus.completed
                ? token.LastSyncDateTime
                : runs.History(token.Id, nameof(SyncStatus.completed), 1).FirstOrDefault()?.EndDateTime;
            var lastError = token.LastSyncStatus == VppTokenSyncStatus.failed ? runs.History(token.Id, nameof(SyncStatus.failed), 1).FirstOrDefault()?.Error : null;
            summaries.Add(new LicenseReportToken(token, tokenService.Test(token), lastCompleted, lastError));
            waiting.AddRange(applier.Plan(token).Waiting
                .GroupBy(w => (w.AdamId, w.PricingParam))
                .Select(g => new LicenseReportWaiting(token.Name, token.Id, g.Key.AdamId, g.Key.PricingParam, g.First().AppName, g.Count(),
                    g.Select(w => w.Group).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList())));
        }
        waiting = waiting.OrderByDescending(w => w.Count).ThenBy(w => w.Name ?? w.AdamId, StringComparer.OrdinalIgnoreCase).ThenBy(w => w.Token, StringComparer.OrdinalIgnoreCase).ToList();
        var waitingCounts = waiting.ToDictionary(w => (w.TokenId, w.AdamId, w.PricingParam), w => w.Count);

        var assets = inventory.Assets(new AssetFilter("App", TokenPatterns: tokenPatterns), summary: false)
            .Concat(inventory.Assets(new AssetFilter("Book", TokenPatterns: tokenPatterns), summary: false));
        var given = context.Store.Read(c =>
        {
            var counts = new Dictionary<(Guid, string, string), long>();
            using var command = c.Command(null, """
                SELECT t.id, ml.adam_id, ml.pricing_param, count(*) FROM managed_licenses ml JOIN tokens t ON t.key = ml.token_key
                GROUP BY t.id, ml.adam_id, ml.pricing_param
                """);
            using var reader = command.ExecuteReader();
            while (reader.Read()) counts[(Guid.Parse(reader.GetString(0)), reader.GetString(1), reader.GetString(2))] = reader.GetInt64(3);
            return counts;
        });
        var rows = assets
            .Where(a => tokenIds is null || (a.TokenId is { } id && tokenIds.Contains(id)))
            .Select(a =>
            {
                var key = (a.TokenId ?? Guid.Empty, a.AdamId, a.PricingParam);
                return new LicenseReportRow(a, given.GetValueOrDefault(key), waitingCounts.GetValueOrDefault(key));
            })
            .OrderBy(r => r.Asset.Token, StringComparer.OrdinalIgnoreCase)
            .ThenBy(r => r.Asset.ProductType == "Book")
            .ThenBy(r => r.Asset.Name ?? r.Asset.AdamId, StringComparer.OrdinalIgnoreCase)
            .ToList();
        var shown = tokens.Select(t => t.Id).ToHashSet();
        var subscriptions = new SubscriptionService(context).List(shown.ToList())
            .OrderBy(s => s.Token, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
        return new LicenseReport(context.Clock.UtcNow, rows, summaries, waiting, subscriptions);
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
        ["Token", "Type", "Name", "AdamId", "PricingParam", "Unlimited", "TotalCount", "AssignedCount", "AvailableCount", "RetiredCount", "UsedPercent", "GivenByVppPS", "LicensingType", "Waiting"];

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
                row.GivenByVppPS.ToString(CultureInfo.InvariantCulture), a.LicensingType, row.Waiting.ToString(CultureInfo.InvariantCulture),
            }.Select(CsvField)));
        }
        // Subscriptions: seats of both renewal states added up; users only.
        foreach (var s in Subscriptions)
            writer.WriteLine(string.Join(",", new[]
            {
                s.Token, "Subscription", s.DisplayName, s.AdamId, "", "False", N(s.Total), N(s.Assigned), N(s.Available), "",
                s.Total <= 0 ? "" : Math.Round(100.0 * s.Assigned / s.Total, 1).ToString("0.0", CultureInfo.InvariantCulture), "", "User", "",
            }.Select(CsvField)));
        static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The forecast line: the seats that lapse and the users who lose a seat at the end of the
    /// current billing period of the given subscriptions, and the first of those period ends at
    /// which anything lapses (a subscription whose seats all renew does not set the date).
    /// </summary>
    public static string Forecast(IReadOnlyList<VppSubscription> subscriptions)
    {
        var lapsing = subscriptions.Sum(s => s.SeatsLapsing);
        var ending = subscriptions.Sum(s => s.AssignmentsEnding);
        if (lapsing == 0 && ending == 0)
            return "Forecast: every seat renews at the end of its billing period.";
        var first = subscriptions.Where(s => s.PeriodEndDate is not null && (s.SeatsLapsing > 0 || s.AssignmentsEnding > 0)).Min(s => s.PeriodEndDate);
        return $"Forecast: {lapsing} seat(s) lapse at the end of their billing period{(first is { } date ? $" (the first on {date:yyyy-MM-dd})" : "")}, " +
               $"and {ending} user(s) lose the seat they hold then.";
    }

    /// <summary>RFC 4180: quoted when it holds a comma, quote or line break; a leading = + - @ is quoted too, so no spreadsheet runs it as a formula.</summary>
    private static string CsvField(string value)
    {
        var formula = value.Length > 0 && "=+-@".Contains(value[0]) && !double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        if (formula) value = "'" + value;
        return formula || value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    /// <summary>The HTML page: see LicenseReportHtml.</summary>
    public void WriteHtml(TextWriter writer) => new LicenseReportHtml(this, writer).Write();
}
