namespace VppPS.Engine.Subscriptions;

/// <summary>What VppPS last declared to Apple for a token (POST subscriptions/enable or /disable).</summary>
public enum SubscriptionManagement { Enabled, Disabled }

/// <summary>
/// Auto-renewable subscription seats bought under a token (or, with -Summary, under all tokens),
/// as the last sync read them. Seats are counted by renewal state: assigned by the assignment's
/// state, available and total by the seat's own (Apple's counts, spec 2.10.2).
/// </summary>
public sealed record VppSubscription
{
    /// <summary>The token's name; in a summary, the tokens' names joined.</summary>
    public required string Token { get; init; }
    public Guid? TokenId { get; init; }
    public required string AdamId { get; init; }
    public string? ParentAdamId { get; init; }
    /// <summary>The parent app's name, when its metadata is known.</summary>
    public string? ParentApp { get; init; }
    /// <summary>The parent app as shown: its name, else "adamId &lt;parentAdamId&gt;"; null when Apple gave no parent.</summary>
    public string? ParentAppName => ParentAppLabel(ParentApp, ParentAdamId);
    /// <summary>The subscription's name, when its metadata is known (Apple's subscription answers carry none).</summary>
    public string? Name { get; init; }
    /// <summary>ACTIVE, INACTIVE or PAUSED (empty when Apple did not say).</summary>
    public string? Status { get; init; }
    /// <summary>End of the current billing period (a date, UTC): renewing seats renew, expiring ones end.</summary>
    public DateTime? PeriodEndDate { get; init; }
    public required int AssignedRenewing { get; init; }
    public required int AssignedExpiring { get; init; }
    public required int AvailableRenewing { get; init; }
    public required int AvailableExpiring { get; init; }
    public required int TotalRenewing { get; init; }
    public required int TotalExpiring { get; init; }
    public int TokenCount { get; init; } = 1;

    public int Assigned => AssignedRenewing + AssignedExpiring;
    public int Available => AvailableRenewing + AvailableExpiring;
    public int Total => TotalRenewing + TotalExpiring;

    /// <summary>Seats the organization loses at the next period end (Apple: total.expiring).</summary>
    public int SeatsLapsing => TotalExpiring;

    /// <summary>Users whose seat ends at the next period end (Apple: assigned.expiring).</summary>
    public int AssignmentsEnding => AssignedExpiring;

    /// <summary>What shows in reports and summaries: the name, else the parent app (<see cref="ParentAppName"/>) and the adamId.</summary>
    public string DisplayName => Label(Name, ParentApp, ParentAdamId, AdamId);

    /// <summary>The parent app as shown: its name when the metadata lookup gave one, else "adamId &lt;parentAdamId&gt;".</summary>
    public static string? ParentAppLabel(string? parentApp, string? parentAdamId) =>
        parentApp ?? (string.IsNullOrEmpty(parentAdamId) ? null : $"adamId {parentAdamId}");

    /// <summary>A subscription as shown: its name, else its parent app (<see cref="ParentAppLabel"/>) and its adamId, else its adamId.</summary>
    public static string Label(string? name, string? parentApp, string? parentAdamId, string adamId) =>
        name ?? (ParentAppLabel(parentApp, parentAdamId) is { } parent ? $"{parent} ({adamId})" : adamId);

    public override string ToString() => DisplayName;
}

/// <summary>A user holding a seat of a subscription, as the last sync read it.</summary>
public sealed record SubscriptionSeat
{
    public required string Token { get; init; }
    public required string AdamId { get; init; }
    public required string Subscription { get; init; }
    public string? ParentApp { get; init; }
    public required string ClientUserId { get; init; }
    public string? UserEmail { get; init; }
    /// <summary>true: the seat renews at the period end; false: it ends then.</summary>
    public required bool Renewing { get; init; }
    public DateTime? PeriodEndDate { get; init; }
    /// <summary>
    /// true: VppPS took the seat back deferred (Apple accepted it); the user keeps it until
    /// <see cref="PeriodEndDate"/>, when it ends.
    /// </summary>
    public bool Ending { get; init; }
    /// <summary>true: VppPS gave the seat for an assignment (Set-VppAssignment).</summary>
    public bool ByAssignment { get; init; }
}

/// <summary>Filters of Get-VppSubscription and Get-VppSubscriptionSeat. Patterns are wildcards, case-insensitive.</summary>
/// <param name="NamePatterns">The subscription's adamId, name or parent app's name.</param>
/// <param name="UserPatterns">Seats only: clientUserId or e-mail address.</param>
public sealed record SubscriptionFilter(
    string[]? NamePatterns = null,
    string[]? TokenPatterns = null,
    IReadOnlyCollection<Guid>? TokenIds = null,
    string[]? UserPatterns = null,
    bool? Renewing = null);
