using System.Text.Json;
using System.Data.Common;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Assignments;

/// <summary>
/// The pending_operations table: the journal of the writes VppPS sends to Apple. A row holds the
/// request's whole body (with the clientUserIds VppPS chose) and is written before the request
/// is sent ('submitting'). It gets the event id when Apple answers ('submitted'; 'pending' once
/// the user was told that Apple has not finished it) and is closed ('done') in the transaction
/// that records the event's outcome, or ('refused') when Apple answered with an error instead of
/// an event. A row still open when a run starts is finished by the applier before it plans.
/// </summary>
internal static class PendingOperations
{
    public const string Associate = "associate";
    public const string Disassociate = "disassociate";
    public const string CreateUsers = "createUsers";
    public const string RetireUsers = "retireUsers";
    /// <summary>subscriptions/associate: seats given (or their renewal changed, or a pending reclaim cancelled).</summary>
    public const string AssociateSeats = "associateSeats";
    /// <summary>subscriptions/disassociate: seats taken back, at once or deferred to the period end.</summary>
    public const string DisassociateSeats = "disassociateSeats";

    private const string OpenStatuses = "('submitting', 'submitted', 'pending')";

    public static long Add(DbConnection c, DbTransaction t, long tokenKey, string kind, string payload, DateTimeOffset now)
    {
        return c.Long(t, "INSERT INTO pending_operations (token_key, kind, payload, status, submitted_at) VALUES ($k, $kind, $p, 'submitting', $at) RETURNING id",
            ("$k", tokenKey), ("$kind", kind), ("$p", payload), ("$at", now.ToStored()));
    }

    /// <summary>Apple accepted the request (again): its event, and when it was sent, for the 10-minute rule.</summary>
    public static void Submitted(DbConnection c, DbTransaction t, long id, string eventId, DateTimeOffset now) =>
        c.Execute(t, "UPDATE pending_operations SET event_id = $e, submitted_at = $at, status = CASE WHEN status = 'pending' THEN 'pending' ELSE 'submitted' END WHERE id = $id",
            ("$e", eventId), ("$at", now.ToStored()), ("$id", id));

    /// <summary>Marks the row as reported still pending; true the first time (the one time to tell the user).</summary>
    public static bool MarkPending(DbConnection c, DbTransaction t, long id) =>
        c.Execute(t, "UPDATE pending_operations SET status = 'pending' WHERE id = $id AND status <> 'pending'", ("$id", id)) > 0;

    /// <summary>What is left to send: part of the request turned out to be done already.</summary>
    public static void Narrow(DbConnection c, DbTransaction t, long id, string payload) =>
        c.Execute(t, "UPDATE pending_operations SET payload = $p WHERE id = $id", ("$p", payload), ("$id", id));

    public static void Close(DbConnection c, DbTransaction t, long id, string status, DateTimeOffset now) =>
        c.Execute(t, "UPDATE pending_operations SET status = $s, completed_at = $at WHERE id = $id", ("$s", status), ("$at", now.ToStored()), ("$id", id));

    /// <summary>The token's rows not closed yet, oldest first.</summary>
    public static List<PendingOperation> Open(DbConnection c, DbTransaction? t, long tokenKey)
    {
        using var command = c.Command(t, $"SELECT id, kind, payload, event_id, status, submitted_at FROM pending_operations WHERE token_key = $k AND status IN {OpenStatuses} ORDER BY id",
            ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        var rows = new List<PendingOperation>();
        while (reader.Read())
            rows.Add(new PendingOperation(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetString(4), reader.GetString(5).ToDate()));
        return rows;
    }

    /// <summary>What the token's open rows may still change at Apple; null when nothing is open.</summary>
    public static InFlight? ReadInFlight(DbConnection c, DbTransaction? t, long tokenKey)
    {
        var open = Open(c, t, tokenKey);
        if (open.Count == 0) return null;
        var inFlight = new InFlight();
        using var held = c.Command(t, """
            SELECT 1 FROM licenses l JOIN assets a ON a.asset_key = l.asset_key
            WHERE a.token_key = $k AND a.adam_id = $a AND a.pricing_param = $p AND l.target_kind = $kind AND l.target = $x
            """, ("$k", tokenKey), ("$a", null), ("$p", null), ("$kind", null), ("$x", null)); // set by position: PostgreSQL's parameters are named without '$
        using var person = c.Command(t, "SELECT user_key FROM directory_users WHERE id = $id", ("$id", null));
        foreach (var operation in open)
            switch (operation.Kind)
            {
                case Associate or Disassociate:
                    foreach (var change in AssetsPayload.Read(operation.Payload).Changes)
                    {
                        if (!inFlight.Licenses.Add((change.AdamId, change.PricingParam, change.TargetKind, change.Target)) || operation.Kind != Associate) continue;
                        held.Parameters[1].Value = change.AdamId;
                        held.Parameters[2].Value = change.PricingParam;
                        held.Parameters[3].Value = change.TargetKind;
                        held.Parameters[4].Value = change.Target;
                        if (held.ExecuteScalar() is null)
                            inFlight.Reserved[(change.AdamId, change.PricingParam)] = inFlight.Reserved.GetValueOrDefault((change.AdamId, change.PricingParam)) + 1;
                    }
                    break;
                case CreateUsers:
                    foreach (var user in UsersPayload.Read(operation.Payload).Users.Where(u => u.DirectoryUserId is not null))
                    {
                        person.Parameters[0].Value = user.DirectoryUserId;
                        if (person.ExecuteScalar() is long key) inFlight.PeopleBeingCreated.Add(key);
                    }
                    break;
                case RetireUsers:
                    foreach (var user in UsersPayload.Read(operation.Payload).Users) inFlight.UsersBeingRetired.Add(user.ClientUserId);
                    break;
                case AssociateSeats or DisassociateSeats:
                    var seats = SeatsPayload.Read(operation.Payload);
                    foreach (var seat in seats.Seats)
                        if (inFlight.Seats.Add((seats.AdamId, seat.ClientUserId)) && operation.Kind == AssociateSeats && !HoldsSeat(c, t, tokenKey, seats.AdamId, seat.ClientUserId))
                            inFlight.ReservedSeats[seats.AdamId] = inFlight.ReservedSeats.GetValueOrDefault(seats.AdamId) + 1;
                    break;
            }
        return inFlight;
    }

    private static bool HoldsSeat(DbConnection c, DbTransaction? t, long tokenKey, string adamId, string clientUserId) =>
        c.Scalar(t, "SELECT 1 FROM subscription_seats WHERE token_key = $k AND adam_id = $a AND client_user_id = $u", ("$k", tokenKey), ("$a", adamId), ("$u", clientUserId)) is not null;
}

/// <summary>A row of pending_operations.</summary>
internal sealed record PendingOperation(long Id, string Kind, string Payload, string? EventId, string Status, DateTimeOffset SubmittedAt);

/// <summary>
/// What open requests may still do at Apple, which a plan leaves alone: licenses being given or
/// taken back, the licenses those being given will take, people whose VPP user is being
/// created, VPP users being retired.
/// </summary>
internal sealed class InFlight
{
    public HashSet<(string AdamId, string PricingParam, int TargetKind, string Target)> Licenses { get; } = [];
    /// <summary>Per asset: licenses an open associate may still take (those the state does not show as held).</summary>
    public Dictionary<(string AdamId, string PricingParam), int> Reserved { get; } = [];
    /// <summary>user_key of directory users.</summary>
    public HashSet<long> PeopleBeingCreated { get; } = [];
    /// <summary>clientUserIds.</summary>
    public HashSet<string> UsersBeingRetired { get; } = new(StringComparer.Ordinal);
    /// <summary>Subscription seats (adamId, clientUserId) being given or taken back.</summary>
    public HashSet<(string AdamId, string ClientUserId)> Seats { get; } = [];
    /// <summary>Per subscription: seats an open association may still take (users the state does not show holding one).</summary>
    public Dictionary<string, int> ReservedSeats { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The journaled body of a subscriptions/associate or /disassociate: one subscription, its users,
/// and renewing (associations) or deferred (disassociations). Sending it again is safe for an
/// association (a user who holds the seat already keeps it, with the flag sent) and for a deferred
/// disassociation (a seat already ending stays ending); an immediate disassociation is sent again
/// only for the users Apple still lists as holders (read back first: the others would make Apple
/// refuse the whole request with 9815).
/// </summary>
internal sealed record SeatsPayload(string AdamId, bool? Renewing, bool? Deferred, IReadOnlyList<PendingSeat> Seats)
{
    public static SeatsPayload Read(string payload) => JsonSerializer.Deserialize<SeatsPayload>(payload)!;

    public string Write() => JsonSerializer.Serialize(this);

    public ManageSubscriptionsRequest Request() => new()
    {
        AdamIds = [long.Parse(AdamId, System.Globalization.CultureInfo.InvariantCulture)],
        ClientUserIds = Seats.Select(s => s.ClientUserId).ToList(),
        Renewing = Renewing,
        Deferred = Deferred,
    };
}

/// <summary>One user's seat in a journaled seat request, with the assignment it serves and why.</summary>
internal sealed record PendingSeat(string ClientUserId, string? AssignmentId, string Reason);

/// <summary>The journaled body of an associate or disassociate, and the license changes it carries.</summary>
internal sealed record AssetsPayload(IReadOnlyList<string> Assets, IReadOnlyList<string>? ClientUserIds, IReadOnlyList<string>? SerialNumbers, IReadOnlyList<PendingChange> Changes)
{
    public static AssetsPayload From(ManageAssetsRequest request, IReadOnlyList<LicenseChange> changes) =>
        new(request.Assets.Select(a => $"{a.AdamId}|{a.PricingParam}").ToList(), request.ClientUserIds, request.SerialNumbers,
            changes.Select(PendingChange.From).ToList());

    public static AssetsPayload Read(string payload) => JsonSerializer.Deserialize<AssetsPayload>(payload)!;

    public string Write() => JsonSerializer.Serialize(this);

    /// <summary>The same request again, byte for byte what was journaled.</summary>
    public ManageAssetsRequest Request() => new()
    {
        Assets = Assets.Select(a => a.Split('|', 2)).Select(a => new RequestAsset { AdamId = a[0], PricingParam = a.Length > 1 ? a[1] : null }).ToList(),
        ClientUserIds = ClientUserIds,
        SerialNumbers = SerialNumbers,
    };
}

internal sealed record PendingChange(string AdamId, string PricingParam, int TargetKind, string Target, string? AssignmentId, string Reason)
{
    public static PendingChange From(LicenseChange c) => new(c.AdamId, c.PricingParam, c.TargetKind, c.Target!, c.AssignmentId, c.Reason);
}

/// <summary>The journaled body of a users/create or users/retire, with whom each VPP user is for.</summary>
internal sealed record UsersPayload(IReadOnlyList<PendingUser> Users)
{
    public static UsersPayload Read(string payload) => JsonSerializer.Deserialize<UsersPayload>(payload)!;

    public string Write() => JsonSerializer.Serialize(this);

    /// <param name="contact">users/create sends email and managedAppleId; users/retire only the clientUserId.</param>
    public ManageUsersRequest Request(bool contact) => new()
    {
        Users = Users.Select(u => new RequestUser { ClientUserId = u.ClientUserId, Email = contact ? u.Email : null, ManagedAppleId = contact ? u.ManagedAppleId : null }).ToList(),
    };
}

internal sealed record PendingUser(string ClientUserId, string? Email, string? ManagedAppleId, string? DirectoryUserId, string UserPrincipalName);
