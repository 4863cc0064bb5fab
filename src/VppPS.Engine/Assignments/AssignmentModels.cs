namespace VppPS.Engine.Assignments;

public enum AssignmentIntent { Required, Available, Uninstall }

public enum LicenseType { User, Device }

public enum PlanAction { CreateVppUser, Associate, Disassociate, WaitForLicense, RetireVppUser, AdoptVppUser }

/// <summary>An app or book assigned to a group with an intent and a licensing type, under one token.</summary>
public sealed record VppAssignment
{
    public required Guid Id { get; init; }
    public string? App { get; init; }
    public required string AdamId { get; init; }
    public required string PricingParam { get; init; }
    public required string ProductType { get; init; }
    public required string Token { get; init; }
    public required string Group { get; init; }
    public required string GroupKind { get; init; }
    public required AssignmentIntent Intent { get; init; }
    public required LicenseType LicenseType { get; init; }
    public required bool AllowShortage { get; init; }
    public required DateTimeOffset CreatedDateTime { get; init; }
    public required DateTimeOffset LastModifiedDateTime { get; init; }
    /// <summary>
    /// Licenses VppPS holds at Apple for this assignment. A subscription: the seats not ending that VppPS
    /// gave for it, and, while Required, those its members hold under the VPP user linked to them,
    /// whoever gave them (before VppPS, or through a group in Apple Business / Apple School Manager).
    /// </summary>
    public long LicensedCount { get; init; }
    /// <summary>Subscriptions: whether the seats given renew at the period end (false: they lapse then); null for apps and books.</summary>
    public bool? Renewing { get; init; }
    /// <summary>Subscriptions with seats that lapse: the end of the billing period the assignment gives seats for.</summary>
    public DateTime? CoversPeriodEnd { get; init; }
    /// <summary>
    /// Subscriptions with seats that lapse: the billing period the assignment was saved in has ended, so
    /// it gives no more seats; Set-VppAssignment again covers the current period.
    /// </summary>
    public bool Lapsed { get; init; }

    public override string ToString() => $"{App ?? AdamId} -> {Group} ({Intent}, {LicenseType}{(Lapsed ? ", lapsed" : "")})";
}

/// <summary>One step of the plan: what VppPS will ask Apple, for whom, and why.</summary>
public sealed record PlanItem
{
    public required string Token { get; init; }
    public string? App { get; init; }
    public required string AdamId { get; init; }
    public required string PricingParam { get; init; }
    public required PlanAction Action { get; init; }
    public required LicenseType TargetType { get; init; }
    /// <summary>The serial number of a device, or the user principal name of a person.</summary>
    public required string Target { get; init; }
    public string? ClientUserId { get; init; }
    public string? Group { get; init; }
    public required string Reason { get; init; }
    public string? LastError { get; init; }
}

/// <summary>What applying a plan did.</summary>
public sealed record ApplyResult
{
    public required string Token { get; init; }
    public int UsersCreated { get; init; }
    /// <summary>People linked to the VPP user the location already had for them, instead of a new one.</summary>
    public int UsersAdopted { get; init; }
    public int UsersRetired { get; init; }
    public int Associated { get; init; }
    public int Disassociated { get; init; }
    /// <summary>Subscription seats given (or whose renewal changed, or whose pending reclaim was cancelled).</summary>
    public int SeatsAssociated { get; init; }
    /// <summary>Subscription seats taken back, at once or deferred to the period end.</summary>
    public int SeatsDisassociated { get; init; }
    public int Failed { get; init; }
    /// <summary>Whose changes failed (adamId, 0 user / 1 device, clientUserId or serial number): what a targeted command counts as its own.</summary>
    internal IReadOnlyList<(string AdamId, int TargetKind, string Target)> FailedTargets { get; init; } = [];
    public int Waiting { get; init; }
    /// <summary>Of <see cref="Waiting"/>, per app, book or subscription (adamId and pricing; a subscription's pricing is empty).</summary>
    internal IReadOnlyDictionary<(string AdamId, string PricingParam), int> WaitingByAsset { get; init; } = new Dictionary<(string, string), int>();
    /// <summary>Changes not sent because Apple asked to wait for their targets (9632, 9643; see TargetBackoff).</summary>
    public int HeldBack { get; init; }
    public int Requests { get; init; }

    /// <summary>How many members wait for a license (or seat) of this app, book or subscription.</summary>
    public int WaitingFor(string adamId, string pricingParam) => WaitingByAsset.GetValueOrDefault((adamId, pricingParam));

    public bool Changed => UsersCreated + UsersAdopted + UsersRetired + Associated + Disassociated + SeatsAssociated + SeatsDisassociated > 0;
}
