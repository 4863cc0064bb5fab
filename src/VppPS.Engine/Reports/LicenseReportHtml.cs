using System.Globalization;
using System.Net;
using VppPS.Engine.Subscriptions;
using VppPS.Engine.Tokens;

namespace VppPS.Engine.Reports;

/// <summary>
/// Writes a license report as one self-contained HTML page: styles inside, charts in SVG, no
/// script, nothing fetched. In this order: a summary per token (health, last sync, expiry, counts)
/// with the organization's totals; the paid apps and books running out and the members waiting for
/// a license; charts of the tokens and of the most used apps only, so that their size does not grow
/// with the number of apps; the subscriptions' seats per token with a forecast of the next period
/// end; then every app and book, per token (with anchors), most used first.
/// </summary>
internal sealed class LicenseReportHtml
{
    /// <summary>Bars in the chart of the most used apps and books.</summary>
    public const int TopChartCount = 15;
    /// <summary>Bars in the chart of tokens (the largest, by licenses owned).</summary>
    public const int TokenChartCount = 25;
    /// <summary>Per token, the full table starts folded (a &lt;details&gt; to open) above this many rows.</summary>
    public const int FoldedAbove = 100;
    /// <summary>Apps and books in the list of members waiting for a license.</summary>
    public const int WaitingCount = 50;

    private const string Red = "#b00020", Amber = "#a05a00", Blue = "#0071e3", Grey = "#e8e8ed";

    private readonly LicenseReport _report;
    private readonly TextWriter _w;
    private readonly Dictionary<string, string> _anchors = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _stale = new(StringComparer.OrdinalIgnoreCase);

    public LicenseReportHtml(LicenseReport report, TextWriter writer)
    {
        _report = report;
        _w = writer;
        // Every token with apps or books, or in the summary, gets an anchor: t1, t2, ... in name order.
        var names = report.Tokens.Select(t => t.Token.Name).Concat(report.Rows.Select(r => r.Asset.Token))
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names) _anchors[name] = "t" + (_anchors.Count + 1).ToString(CultureInfo.InvariantCulture);
        foreach (var token in report.Tokens.Where(t => t.Stale)) _stale.Add(token.Token.Name);
    }

    private DateTimeOffset Now => _report.GeneratedAt;

    public void Write()
    {
        _w.WriteLine($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>VppPS license report</title>
            <style>
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em; color: #1d1d1f; }
            h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #d2d2d7; } h3 { font-size: 1.05em; display: inline; }
            nav a { margin-right: 1.2em; } a { color: #0066cc; text-decoration: none; } a:hover { text-decoration: underline; }
            table { border-collapse: collapse; margin-top: .6em; } th, td { padding: .25em .55em; text-align: right; vertical-align: top; }
            th { border-bottom: 1px solid #d2d2d7; } .l { text-align: left; } .nw { white-space: nowrap; } .tok { min-width: 10em; } tr:nth-child(even) { background: #f5f5f7; }
            tr.total th, tr.total td { border-top: 2px solid #1d1d1f; font-weight: 600; background: #fff; }
            .note { color: #6e6e73; } .lead { font-size: 1.05em; }
            .full, .error { color: {{Red}}; font-weight: 600; } .warn { color: {{Amber}}; font-weight: 600; } .ok { color: #1e7b34; font-weight: 600; }
            .findings { margin: .2em 0 0 0; padding-left: 1.1em; font-weight: normal; font-size: .92em; color: #1d1d1f; min-width: 15em; max-width: 24em; }
            .stale { color: {{Amber}}; } details { margin: .8em 0; } summary { cursor: pointer; } svg text { font-size: 12px; }
            </style></head><body>
            <h1>VppPS license report</h1>
            <p class="note">Generated {{E(Date(Now))}} from the last sync of each token. In use = assigned; available = still to hand out; owned = total less retired.</p>
            <nav><a href="#summary">Summary</a><a href="#running-out">Running out</a><a href="#waiting">Waiting for licenses</a><a href="#charts">Charts</a>{{(_report.Subscriptions.Count > 0 ? "<a href=\"#subscriptions\">Subscriptions</a>" : "")}}<a href="#all">All apps and books</a></nav>
            """);
        if (_report.Rows.Count == 0 && _report.Tokens.Count == 0 && _report.Subscriptions.Count == 0)
        {
            _w.WriteLine("<p>No apps or books yet: add a token with Add-VppToken and run Sync-VppToken.</p></body></html>");
            return;
        }
        WriteSummary();
        WriteRunningOut();
        WriteWaiting();
        WriteCharts();
        WriteSubscriptions();
        WriteAll();
        _w.WriteLine("</body></html>");
    }

    // ---------------------------------------------------------------- summary

    private void WriteSummary()
    {
        var paid = _report.Rows.Where(r => !r.Asset.Unlimited).ToList();
        long inUse = paid.Sum(r => r.Asset.AssignedCount), owned = paid.Sum(r => r.Owned), available = paid.Sum(r => r.Available);
        var attention = _report.Tokens.Count(t => t.Flags(Now).Count > 0);
        var waiting = _report.Waiting.Sum(w => w.Count);
        _w.WriteLine("<h2 id=\"summary\">Organization summary</h2>");
        _w.WriteLine($"<p class=\"lead\">{Some(_report.Tokens.Count, "token")}" +
                     (attention > 0 ? $" (<span class=\"error\">{attention} need{(attention == 1 ? "s" : "")} attention</span>)" : "") + ": " +
                     $"{Some(_report.Rows.Count(r => r.Asset.ProductType != "Book"), "app")} and {Some(_report.Rows.Count(r => r.Asset.ProductType == "Book"), "book")}; " +
                     $"{N(inUse)} of {N(owned)} paid licenses in use{Percent(inUse, owned)}, {N(available)} available; " +
                     $"{N(_report.Rows.Sum(r => r.GivenByVppPS))} given by VppPS; " +
                     (waiting > 0 ? $"<span class=\"error\">{Some(waiting, "member")} waiting for a license</span>." : "no member waiting for a license.") + "</p>");
        if (_report.Tokens.Count == 0) return;
        _w.WriteLine("<table><tr><th class=\"l\">Token</th><th class=\"l\">Health</th><th class=\"l\">Last sync</th><th class=\"l\">Expires</th>" +
                     "<th>Apps</th><th>Books</th><th>In use</th><th>Owned</th><th>Available</th><th>Given by VppPS</th><th>Waiting</th></tr>");
        foreach (var token in _report.Tokens)
        {
            var t = token.Token;
            var rows = _report.Rows.Where(r => string.Equals(r.Asset.Token, t.Name, StringComparison.OrdinalIgnoreCase) && !r.Asset.Unlimited).ToList();
            var all = _report.Rows.Where(r => string.Equals(r.Asset.Token, t.Name, StringComparison.OrdinalIgnoreCase)).ToList();
            _w.WriteLine($"<tr><td class=\"l tok\"><a href=\"#{_anchors[t.Name]}\">{E(t.Name)}</a></td><td class=\"l\">{Health(token)}</td>" +
                         $"<td class=\"l\">{LastSync(token)}</td><td class=\"l\">{Expiry(token)}</td>" +
                         $"<td>{N(all.Count(r => r.Asset.ProductType != "Book"))}</td><td>{N(all.Count(r => r.Asset.ProductType == "Book"))}</td>" +
                         $"<td>{N(rows.Sum(r => r.Asset.AssignedCount))}</td><td>{N(rows.Sum(r => r.Owned))}</td><td>{N(rows.Sum(r => r.Available))}</td>" +
                         $"<td>{N(all.Sum(r => r.GivenByVppPS))}</td><td>{Waiting(all.Sum(r => r.Waiting))}</td></tr>");
        }
        _w.WriteLine($"<tr class=\"total\"><th class=\"l\">Total</th><td class=\"l\">{(attention == 0 ? "<span class=\"ok\">All healthy</span>" : $"<span class=\"error\">{attention} of {_report.Tokens.Count} need attention</span>")}</td><td></td><td></td>" +
                     $"<td>{N(_report.Rows.Count(r => r.Asset.ProductType != "Book"))}</td><td>{N(_report.Rows.Count(r => r.Asset.ProductType == "Book"))}</td>" +
                     $"<td>{N(inUse)}</td><td>{N(owned)}</td><td>{N(available)}</td><td>{N(_report.Rows.Sum(r => r.GivenByVppPS))}</td><td>{Waiting(_report.Rows.Sum(r => r.Waiting))}</td></tr>");
        _w.WriteLine("</table>");
    }

    private string Health(LicenseReportToken token)
    {
        var flags = token.Flags(Now);
        if (flags.Count == 0) return "<span class=\"ok\">Healthy</span>";
        var css = token.Health == HealthSeverity.Error ? "error" : "warn";
        // The last sync's error goes with the finding that it failed.
        var error = token.Token.LastSyncStatus == VppTokenSyncStatus.failed && token.LastSyncError is { Length: > 0 } e ? " It said: " + Shorten(e, 140) : "";
        var findings = token.Findings.Where(f => f.Severity != HealthSeverity.Information || f.Check == "Sync")
            .Select(f => $"<li>{E(f.Message + (f.Check == "Sync" && f.Severity != HealthSeverity.Information ? error : ""))}</li>");
        return $"<span class=\"{css}\">{E(string.Join("; ", flags))}</span><ul class=\"findings\">{string.Concat(findings)}</ul>";
    }

    private string LastSync(LicenseReportToken token)
    {
        var t = token.Token;
        if (t.LastSyncDateTime is not { } last) return "<span class=\"warn\">never</span>";
        var text = $"<span class=\"nw\">{E(Date(last))}</span> <span class=\"nw\">({E(Ago(last))})</span><br>";
        text += t.LastSyncStatus switch
        {
            VppTokenSyncStatus.failed => "<span class=\"error\">failed</span>",
            VppTokenSyncStatus.completed => token.Stale ? "<span class=\"warn\">completed, too long ago</span>" : "completed",
            _ => E(t.LastSyncStatus.ToString()),
        };
        if (t.LastSyncStatus != VppTokenSyncStatus.completed)
            text += token.LastCompletedSync is { } completed
                ? $"<br><span class=\"stale\">numbers as of <span class=\"nw\">{E(Date(completed))}</span></span>"
                : "<br><span class=\"stale\">no sync has completed</span>";
        return text;
    }

    private string Expiry(LicenseReportToken token)
    {
        var days = token.Token.DaysUntilExpiration(Now);
        var css = days < 0 || token.Token.State == VppTokenState.expired || days <= 7 ? "error" : days <= 30 ? "warn" : null;
        var text = $"<span class=\"nw\">{token.Token.ExpirationDateTime.UtcDateTime:yyyy-MM-dd}</span><br><span class=\"nw\">" +
                   (days < 0 ? "expired" : days == 1 ? "in 1 day" : $"in {days} days") + "</span>";
        return css is null ? text : $"<span class=\"{css}\">{text}</span>";
    }

    // ---------------------------------------------------------------- running out, waiting

    private void WriteRunningOut()
    {
        var paid = _report.Rows.Where(r => !r.Asset.Unlimited).ToList();
        var list = _report.RunningOut();
        _w.WriteLine("<h2 id=\"running-out\">Running out</h2>");
        if (list.Count == 0)
        {
            _w.WriteLine("<p>No paid app or book yet: free apps never run out.</p>");
            return;
        }
        var none = paid.Count(r => r.Asset.AvailableCount <= 0);
        var most = paid.Count(r => r.UsedPercent >= 90);
        _w.WriteLine($"<p>The {(list.Count < paid.Count ? list.Count.ToString(CultureInfo.InvariantCulture) + " " : "")}paid apps and books with the fewest licenses left, fewest first" +
                     $"{(list.Count < paid.Count ? $" (of {N(paid.Count)})" : "")}. " +
                     $"{(none == 0 ? "Every one has a license left" : $"<span class=\"full\">{Some(none, "has", "have")} none left</span>")}; {Some(most, "is", "are")} 90 % or more in use.</p>");
        _w.WriteLine("<table><tr><th class=\"l\">Name</th><th class=\"l\">Token</th><th class=\"l\">Type</th><th>Available</th><th>In use</th><th>Owned</th><th>Used</th><th>Waiting</th></tr>");
        foreach (var row in list)
        {
            var a = row.Asset;
            _w.WriteLine($"<tr><td class=\"l\">{E(a.Name ?? a.AdamId)}</td><td class=\"l\">{TokenLink(a.Token)}</td><td class=\"l\">{E(a.ProductType)}</td>" +
                         $"<td{(a.AvailableCount <= 0 ? " class=\"full\"" : "")}>{N(a.AvailableCount.GetValueOrDefault())}</td><td>{N(a.AssignedCount)}</td><td>{N(row.Owned)}</td>" +
                         $"<td>{Used(row)}</td><td>{Waiting(row.Waiting)}</td></tr>");
        }
        _w.WriteLine("</table>");
    }

    private void WriteWaiting()
    {
        _w.WriteLine("<h2 id=\"waiting\">Members waiting for a license</h2>");
        if (_report.Waiting.Count == 0)
        {
            _w.WriteLine("<p>No member is waiting: every assignment has the licenses it needs.</p>");
            return;
        }
        _w.WriteLine($"<p>Assignments want these members licensed, but no license is left: they get one at the next sync after licenses are bought or freed. " +
                     $"Get-VppAssignmentPlan lists who they are.{(_report.Waiting.Count > WaitingCount ? $" The {WaitingCount} apps and books with the most members waiting, of {N(_report.Waiting.Count)}." : "")}</p>");
        _w.WriteLine("<table><tr><th class=\"l\">Name</th><th class=\"l\">Token</th><th>Waiting</th><th>Available</th><th class=\"l\">Groups</th></tr>");
        foreach (var waiting in _report.Waiting.Take(WaitingCount))
        {
            var row = _report.Rows.FirstOrDefault(r => r.Asset.TokenId == waiting.TokenId && r.Asset.AdamId == waiting.AdamId && r.Asset.PricingParam == waiting.PricingParam);
            var groups = waiting.Groups.Count <= 5 ? string.Join(", ", waiting.Groups) : string.Join(", ", waiting.Groups.Take(5)) + $" and {waiting.Groups.Count - 5} more";
            _w.WriteLine($"<tr><td class=\"l\">{E(waiting.Name ?? waiting.AdamId)}</td><td class=\"l\">{TokenLink(waiting.Token)}</td><td class=\"full\">{N(waiting.Count)}</td>" +
                         $"<td>{(row is null ? "" : row.Asset.Unlimited ? "unlimited" : N(row.Asset.AvailableCount.GetValueOrDefault()))}</td><td class=\"l\">{E(groups)}</td></tr>");
        }
        _w.WriteLine("</table>");
    }

    // ---------------------------------------------------------------- charts

    private void WriteCharts()
    {
        var paid = _report.Rows.Where(r => !r.Asset.Unlimited).ToList();
        _w.WriteLine("<h2 id=\"charts\">Charts</h2>");
        if (paid.Count == 0)
        {
            _w.WriteLine("<p>No paid app or book to chart.</p>");
            return;
        }
        // Licenses in use per token.
        var tokens = paid.GroupBy(r => r.Asset.Token, StringComparer.OrdinalIgnoreCase)
            .Select(g => new Bar(g.Key, g.Sum(r => r.Asset.AssignedCount), g.Sum(r => r.Owned), g.Any(r => r.Asset.AvailableCount <= 0) ? Amber : Blue, _stale.Contains(g.Key)))
            .OrderByDescending(b => b.Owned).ThenBy(b => b.Label, StringComparer.OrdinalIgnoreCase).ToList();
        _w.WriteLine($"<p>Paid licenses in use per token{(tokens.Count > TokenChartCount ? $": the {TokenChartCount} largest of {tokens.Count}" : "")} " +
                     "(amber: some app or book of the token has no license left).</p>");
        WriteChart(tokens.Take(TokenChartCount).ToList(), "Paid licenses in use per token");
        // The most used apps and books, over every token.
        var top = paid.OrderByDescending(r => r.Asset.AssignedCount).ThenByDescending(r => r.UsedPercent)
            .ThenBy(r => r.Asset.Name ?? r.Asset.AdamId, StringComparer.OrdinalIgnoreCase).Take(TopChartCount)
            .Select(r => new Bar(_report.Tokens.Count > 1 || tokens.Count > 1 ? $"{r.Asset.Name ?? r.Asset.AdamId} · {r.Asset.Token}" : r.Asset.Name ?? r.Asset.AdamId,
                r.Asset.AssignedCount, r.Owned, r.Asset.AvailableCount <= 0 ? Red : Blue, _stale.Contains(r.Asset.Token)))
            .ToList();
        _w.WriteLine($"<p>The {(top.Count < paid.Count ? top.Count.ToString(CultureInfo.InvariantCulture) + " " : "")}most used paid apps and books" +
                     $"{(top.Count < paid.Count ? $" of {N(paid.Count)}" : "")}: the bar is what is owned, filled as far as it is in use (red: none left).</p>");
        WriteChart(top, "The most used apps and books");
    }

    private sealed record Bar(string Label, long InUse, long Owned, string Color, bool Stale);

    /// <summary>One bar per item: its length what is owned (to the largest), filled as far as it is in use.</summary>
    private void WriteChart(IReadOnlyList<Bar> bars, string title)
    {
        const int label = 330, width = 440, height = 22;
        var largest = Math.Max(1, bars.Max(b => b.Owned));
        _w.WriteLine($"<svg role=\"img\" aria-label=\"{E(title)}\" width=\"{label + width + 150}\" height=\"{bars.Count * height + 4}\" xmlns=\"http://www.w3.org/2000/svg\">");
        for (var i = 0; i < bars.Count; i++)
        {
            var bar = bars[i];
            var ownedWidth = Math.Max(1, (int)(width * bar.Owned / largest));
            var usedWidth = bar.Owned == 0 ? 0 : (int)(ownedWidth * Math.Min(1.0, (double)bar.InUse / bar.Owned));
            var y = i * height + 2;
            var name = bar.Label.Length > 48 ? bar.Label[..47] + "…" : bar.Label;
            _w.WriteLine($"<text x=\"0\" y=\"{y + 15}\">{E(name)}</text>" +
                         $"<rect x=\"{label}\" y=\"{y + 3}\" width=\"{ownedWidth}\" height=\"{height - 6}\" fill=\"{Grey}\"/>" +
                         $"<rect x=\"{label}\" y=\"{y + 3}\" width=\"{usedWidth}\" height=\"{height - 6}\" fill=\"{bar.Color}\"/>" +
                         $"<text x=\"{label + ownedWidth + 6}\" y=\"{y + 15}\">{N(bar.InUse)} / {N(bar.Owned)}{(bar.Stale ? " (stale)" : "")}</text>");
        }
        _w.WriteLine("</svg>");
    }

    // ---------------------------------------------------------------- subscriptions

    /// <summary>Seats of every subscription, per token, by renewal state; the totals and the forecast of the next period end.</summary>
    private void WriteSubscriptions()
    {
        var all = _report.Subscriptions;
        if (all.Count == 0) return;
        _w.WriteLine("<h2 id=\"subscriptions\">Subscriptions</h2>");
        _w.WriteLine($"<p><strong>Subscriptions, all tokens:</strong> {N(all.Sum(x => x.Assigned))} of {N(all.Sum(x => x.Total))} seats assigned. {E(LicenseReport.Forecast(all))}</p>");
        foreach (var token in all.GroupBy(x => x.Token, StringComparer.OrdinalIgnoreCase))
        {
            var subscriptions = token.ToList();
            _w.WriteLine($"<p><strong>{TokenLink(token.Key)}</strong>: {N(subscriptions.Sum(s => s.Assigned))} of {N(subscriptions.Sum(s => s.Total))} seats assigned. {E(LicenseReport.Forecast(subscriptions))}</p>");
            _w.WriteLine("<table><tr><th class=\"l\">Subscription</th><th class=\"l\">Status</th><th class=\"l\">Period end</th><th>Assigned (renewing + expiring)</th>" +
                         "<th>Available</th><th>Total</th><th>Lapse at period end</th></tr>");
            foreach (var s in subscriptions)
                _w.WriteLine($"<tr><td class=\"l\">{E(s.DisplayName)}</td><td class=\"l\">{E(s.Status)}</td><td class=\"l nw\">{s.PeriodEndDate:yyyy-MM-dd}</td>" +
                             $"<td>{N(s.AssignedRenewing)} + {N(s.AssignedExpiring)}</td><td>{N(s.AvailableRenewing)} + {N(s.AvailableExpiring)}</td>" +
                             $"<td>{N(s.TotalRenewing)} + {N(s.TotalExpiring)}</td><td>{N(s.SeatsLapsing)}</td></tr>");
            _w.WriteLine("</table>");
        }
    }

    // ---------------------------------------------------------------- the full table

    private void WriteAll()
    {
        var groups = _report.Rows.GroupBy(r => r.Asset.Token, StringComparer.OrdinalIgnoreCase).ToList();
        _w.WriteLine("<h2 id=\"all\">All apps and books, per token</h2>");
        if (groups.Count == 0)
        {
            _w.WriteLine("<p>No apps or books yet: run Sync-VppToken.</p>");
            return;
        }
        _w.WriteLine("<p>Per token, most used first (then by name); free apps last. " +
                     $"Tokens: {string.Join(" · ", groups.Select(g => TokenLink(g.Key)))}</p>");
        foreach (var token in groups)
        {
            var rows = token.OrderBy(r => r.Asset.Unlimited).ThenByDescending(r => r.Asset.AssignedCount)
                .ThenBy(r => r.Asset.Name ?? r.Asset.AdamId, StringComparer.OrdinalIgnoreCase).ToList();
            var counted = rows.Where(r => !r.Asset.Unlimited).ToList();
            long inUse = counted.Sum(r => r.Asset.AssignedCount), owned = counted.Sum(r => r.Owned);
            var summary = _report.Tokens.FirstOrDefault(t => string.Equals(t.Token.Name, token.Key, StringComparison.OrdinalIgnoreCase));
            _w.WriteLine($"<details id=\"{_anchors[token.Key]}\"{(rows.Count <= FoldedAbove ? " open" : "")}><summary><h3>{E(token.Key)}</h3> " +
                         $"{Some(rows.Count(r => r.Asset.ProductType != "Book"), "app")} and {Some(rows.Count(r => r.Asset.ProductType == "Book"), "book")}; " +
                         $"{N(inUse)} of {N(owned)} paid licenses in use, {N(rows.Sum(r => r.GivenByVppPS))} given by VppPS" +
                         (summary?.Stale == true ? $"; <span class=\"stale\">numbers as of {E(Date(summary.LastCompletedSync!.Value))}</span>" : "") +
                         $" <a href=\"#summary\">(top)</a></summary>");
            _w.WriteLine("<table><tr><th class=\"l\">Name</th><th class=\"l\">Type</th><th>Total</th><th>Assigned</th><th>Available</th><th>Retired</th><th>Used</th><th>Given by VppPS</th><th>Waiting</th></tr>");
            foreach (var row in rows)
            {
                var a = row.Asset;
                _w.WriteLine($"<tr><td class=\"l\">{E(a.Name ?? a.AdamId)}</td><td class=\"l\">{E(a.ProductType)}</td><td>{(a.Unlimited ? "unlimited" : N(a.TotalCount.GetValueOrDefault()))}</td>" +
                             $"<td>{N(a.AssignedCount)}</td><td{(a.AvailableCount <= 0 && !a.Unlimited ? " class=\"full\"" : "")}>{(a.Unlimited ? "unlimited" : N(a.AvailableCount.GetValueOrDefault()))}</td>" +
                             $"<td>{N(a.RetiredCount)}</td><td>{Used(row)}</td><td>{N(row.GivenByVppPS)}</td><td>{Waiting(row.Waiting)}</td></tr>");
            }
            _w.WriteLine("</table></details>");
        }
    }

    // ---------------------------------------------------------------- text

    private string TokenLink(string name) => _anchors.TryGetValue(name, out var anchor)
        ? $"<a href=\"#{anchor}\"{(_stale.Contains(name) ? " class=\"stale\" title=\"numbers from an older sync\"" : "")}>{E(name)}</a>"
        : E(name);

    private static string Used(LicenseReportRow row) => row.UsedPercent is { } percent ? percent.ToString("0.0", CultureInfo.InvariantCulture) + " %" : "";

    private static string Waiting(long count) => count == 0 ? "" : $"<span class=\"full\">{N(count)}</span>";

    private static string Percent(long part, long whole) => whole <= 0 ? "" : $" ({(100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture)} %)";

    private static string Some(long count, string what) => $"{N(count)} {what}{(count == 1 ? "" : "s")}";

    private static string Some(long count, string singular, string plural) => $"{N(count)} {(count == 1 ? singular : plural)}";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Date(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private string Ago(DateTimeOffset at)
    {
        var age = Now - at;
        if (age < TimeSpan.FromMinutes(1)) return "just now";
        if (age < TimeSpan.FromHours(1)) return Some((long)age.TotalMinutes, "minute") + " ago";
        if (age < TimeSpan.FromDays(2)) return Some((long)age.TotalHours, "hour") + " ago";
        return Some((long)age.TotalDays, "day") + " ago";
    }
}
