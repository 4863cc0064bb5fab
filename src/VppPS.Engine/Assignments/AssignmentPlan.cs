namespace VppPS.Engine.Assignments;

/// <summary>One license to give or take back: an asset and a user (clientUserId) or device (serial number).</summary>
public sealed record LicenseChange(
    long AssetKey,
    string AdamId,
    string PricingParam,
    string? AppName,
    int TargetKind,
    string? Target,
    string Display,
    long? UserKey,
    string? AssignmentId,
    string? Group,
    string Reason)
{
    public LicenseType TargetType => TargetKind == 0 ? LicenseType.User : LicenseType.Device;
}

/// <summary>
/// One subscription seat to give or take back: a subscription (adamId) and a user (clientUserId;
/// null while the person has no VPP user yet). <paramref name="Renewing"/>: an association's seat
/// renews at the period end, or lapses then. <paramref name="Deferred"/>: a disassociation takes
/// effect at the period end. <paramref name="NeedsSeat"/>: the association takes a seat (false when
/// the user holds one already and only its renewal or a pending reclaim changes).
/// </summary>
public sealed record SeatChange(
    string AdamId,
    string? Subscription,
    string? ClientUserId,
    string Display,
    long? UserKey,
    string? AssignmentId,
    string? Group,
    string Reason,
    bool Renewing,
    bool Deferred = false,
    bool NeedsSeat = false);

/// <summary>A person who needs a VPP user before a user license can be given.</summary>
public sealed record VppUserToCreate(long UserKey, string DirectoryUserId, string UserPrincipalName, string? Mail, string? ManagedAppleId);

/// <summary>
/// A person who needs a VPP user while the location already has an active one with the person's
/// e-mail address, user principal name or Managed Apple Account: linked to it, not created again.
/// </summary>
public sealed record VppUserToAdopt(long UserKey, string DirectoryUserId, string UserPrincipalName, string ClientUserId, string Email, string Status);

/// <summary>
/// A VPP user VppPS created whose person left the directory. <paramref name="SeatsReleased"/>: the
/// subscriptions (names for people) whose seats the user holds; Apple releases them at once when
/// the user is retired (spec 2.10.4).
/// </summary>
public sealed record VppUserToRetire(string ClientUserId, string UserPrincipalName, IReadOnlyList<string>? SeatsReleased = null)
{
    /// <summary>What retiring the user costs, in a sentence for people; null when it holds no seat.</summary>
    public string? SeatWarning(string tokenName) => SeatsReleased is not { Count: > 0 } seats ? null :
        $"Retiring the VPP user of '{UserPrincipalName}' ({ClientUserId}) under '{tokenName}' releases at once the subscription seat(s) it holds of " +
        $"{string.Join(", ", seats.Select(s => $"'{s}'"))}: Apple ends a retired user's seats immediately, not at the end of the billing period.";
}

/// <summary>
/// The difference between the licenses the assignments want and those Apple holds, for one
/// token. Only changes are held, never assignments x members.
/// </summary>
public sealed class AssignmentPlan
{
    public required string TokenName { get; init; }
    public required long TokenKey { get; init; }
    /// <summary>The last member change this plan took into account.</summary>
    public long PlannedSeq { get; init; }
    /// <summary>Whether only members who changed since the last plan were looked at.</summary>
    public bool Incremental { get; init; }
    /// <summary>The token's count of full-plan requests when this plan was read (needs_full_plan; 0: none).</summary>
    public long FullPlanRequests { get; init; }
    public List<VppUserToCreate> UsersToCreate { get; } = [];
    public List<VppUserToAdopt> UsersToAdopt { get; } = [];
    public List<LicenseChange> Associations { get; } = [];
    public List<LicenseChange> Disassociations { get; } = [];
    /// <summary>Wanted, but more than the available licenses: they get one when licenses are bought or freed.</summary>
    public List<LicenseChange> Waiting { get; } = [];
    public List<VppUserToRetire> UsersToRetire { get; } = [];
    /// <summary>Subscription seats to give (or whose renewal or pending reclaim changes).</summary>
    public List<SeatChange> SeatAssociations { get; } = [];
    /// <summary>Subscription seats to take back, at once or (Deferred) at the period end.</summary>
    public List<SeatChange> SeatDisassociations { get; } = [];
    /// <summary>Seats wanted beyond the available ones (or of a subscription that is not active).</summary>
    public List<SeatChange> SeatWaiting { get; } = [];
    /// <summary>Per asset (adamId/pricing): how many licenses short the plan is.</summary>
    public Dictionary<(string AdamId, string PricingParam), (string? Name, int Needed, long Available)> Shortages { get; } = [];

    public bool IsEmpty => UsersToCreate.Count == 0 && UsersToAdopt.Count == 0 && Associations.Count == 0 && Disassociations.Count == 0 && UsersToRetire.Count == 0
        && SeatAssociations.Count == 0 && SeatDisassociations.Count == 0;

    public IEnumerable<PlanItem> Items(IReadOnlyDictionary<(string AdamId, string PricingParam, int Kind, string Target), string>? lastErrors = null)
    {
        foreach (var user in UsersToCreate)
            yield return new PlanItem
            {
                Token = TokenName, AdamId = "", PricingParam = "", Action = PlanAction.CreateVppUser, TargetType = LicenseType.User,
                Target = user.UserPrincipalName, Reason = user.ManagedAppleId is null ? "needs a VPP user (invitation to accept)" : "needs a VPP user (Managed Apple Account)",
            };
        foreach (var user in UsersToAdopt)
            yield return new PlanItem
            {
                Token = TokenName, AdamId = "", PricingParam = "", Action = PlanAction.AdoptVppUser, TargetType = LicenseType.User,
                Target = user.UserPrincipalName, ClientUserId = user.ClientUserId,
                Reason = $"has the {user.Status} VPP user {user.Email} already: linked to it, no second VPP user or invitation",
            };
        foreach (var change in Disassociations) yield return Item(change, PlanAction.Disassociate, lastErrors);
        foreach (var change in Associations) yield return Item(change, PlanAction.Associate, lastErrors);
        foreach (var change in Waiting) yield return Item(change, PlanAction.WaitForLicense, lastErrors);
        foreach (var change in SeatDisassociations) yield return Item(change, PlanAction.Disassociate, lastErrors);
        foreach (var change in SeatAssociations) yield return Item(change, PlanAction.Associate, lastErrors);
        foreach (var change in SeatWaiting) yield return Item(change, PlanAction.WaitForLicense, lastErrors);
        foreach (var user in UsersToRetire)
            yield return new PlanItem
            {
                Token = TokenName, AdamId = "", PricingParam = "", Action = PlanAction.RetireVppUser, TargetType = LicenseType.User,
                Target = user.UserPrincipalName, ClientUserId = user.ClientUserId,
                Reason = "removed from the directory" + (user.SeatsReleased is { Count: > 0 } seats
                    ? $"; Apple releases at once the subscription seat(s) it holds of {string.Join(", ", seats.Select(s => $"'{s}'"))}" : ""),
            };
    }

    /// <summary>A seat as a plan item: PricingParam is empty (subscriptions have none), the target a user.</summary>
    private PlanItem Item(SeatChange change, PlanAction action, IReadOnlyDictionary<(string, string, int, string), string>? lastErrors) => new()
    {
        Token = TokenName,
        App = change.Subscription,
        AdamId = change.AdamId,
        PricingParam = "",
        Action = action,
        TargetType = LicenseType.User,
        Target = change.Display,
        ClientUserId = change.ClientUserId,
        Group = change.Group,
        Reason = change.Reason,
        LastError = change.ClientUserId is not null && lastErrors is not null && lastErrors.TryGetValue((change.AdamId, "", 0, change.ClientUserId), out var error) ? error : null,
    };

    private PlanItem Item(LicenseChange change, PlanAction action, IReadOnlyDictionary<(string, string, int, string), string>? lastErrors) => new()
    {
        Token = TokenName,
        App = change.AppName,
        AdamId = change.AdamId,
        PricingParam = change.PricingParam,
        Action = action,
        TargetType = change.TargetType,
        Target = change.Display,
        ClientUserId = change.TargetKind == 0 ? change.Target : null,
        Group = change.Group,
        Reason = change.Reason,
        LastError = change.Target is not null && lastErrors is not null && lastErrors.TryGetValue((change.AdamId, change.PricingParam, change.TargetKind, change.Target), out var error) ? error : null,
    };
}
