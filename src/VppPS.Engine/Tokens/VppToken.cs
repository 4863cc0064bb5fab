namespace VppPS.Engine.Tokens;

// Enum members carry Microsoft Graph's values (vppToken) exactly, so that scripts written for
// Graph compare the same strings.
#pragma warning disable IDE1006
public enum VppTokenState { valid, expired, invalid, assignedToExternalMDM, duplicateLocationId }

public enum VppTokenAccountType { business, education }

public enum VppTokenSyncStatus { none, inProgress, completed, failed }
#pragma warning restore IDE1006

/// <summary>
/// A content token as VppPS knows it. Deliberately holds no secret: the token itself stays
/// encrypted in the store and is read only by the engine when it talks to Apple.
/// </summary>
public sealed class VppToken
{
    public required Guid Id { get; init; }
    public required string Name { get; init; }
    public required string OrganizationName { get; init; }
    public string? LocationName { get; init; }
    /// <summary>Apple's uId: the library (location) the token manages.</summary>
    public string? LocationId { get; init; }
    public required string AppleId { get; init; }
    public required VppTokenAccountType AccountType { get; init; }
    public string? CountryOrRegion { get; init; }
    public required DateTimeOffset ExpirationDateTime { get; init; }
    public required VppTokenState State { get => _state; init => _state = value; }
    /// <summary>Why the state is what it is (for example the other management system's name).</summary>
    public string? StateReason { get => _stateReason; init => _stateReason = value; }
    public DateTimeOffset? LastSyncDateTime { get; init; }
    public required VppTokenSyncStatus LastSyncStatus { get; init; }
    public required bool AutomaticallyUpdateApps { get; init; }
    public int? AppCount { get; init; }
    public int? BookCount { get; init; }
    public long? TotalLicenseCount { get; init; }
    public long? AssignedLicenseCount { get; init; }
    /// <summary>What VppPS declared to Apple about managing subscriptions here; null: not declared (Set-VppToken -SubscriptionManagement).</summary>
    public Subscriptions.SubscriptionManagement? SubscriptionManagement { get; init; }
    public required DateTimeOffset CreatedDateTime { get; init; }
    public required DateTimeOffset LastModifiedDateTime { get; init; }

    /// <summary>Whole days until the token expires (negative once expired).</summary>
    public int DaysUntilExpiration(DateTimeOffset now) => (int)Math.Floor((ExpirationDateTime - now).TotalDays);

    public override string ToString() => Name;

    private VppTokenState _state;
    private string? _stateReason;

    /// <summary>A copy of this token in another state: what Apple said of it where the store cannot record it (a login that may only read).</summary>
    internal VppToken WithState(VppTokenState state, string? reason)
    {
        var copy = (VppToken)MemberwiseClone();
        copy._state = state;
        copy._stateReason = reason;
        return copy;
    }
}
