using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tokens;

/// <summary>The tokens table. Reads return <see cref="VppToken"/> (no secret); the secret is read apart.</summary>
public sealed class TokenStore
{
    private static readonly string Columns =
        "t.id, t.name, t.organization_name, t.location_name, t.location_uid, t.apple_id, t.account_type, t.country_or_region, " +
        "t.expiration, t.state, t.state_reason, t.last_sync_at, t.last_sync_status, t.automatically_update_apps, t.created_at, t.updated_at, " +
        // Counts once synced; unlimited (free) assets do not count as licenses owned.
        "(SELECT count(*) FROM assets a WHERE a.token_key = t.key AND a.product_type <> 'Book'), " +
        "(SELECT count(*) FROM assets a WHERE a.token_key = t.key AND a.product_type = 'Book'), " +
        $"(SELECT sum(a.total_count) FROM assets a WHERE a.token_key = t.key AND a.total_count < {Apple.Wire.ResponseAsset.UnlimitedCount}), " +
        "(SELECT sum(a.assigned_count) FROM assets a WHERE a.token_key = t.key), " +
        "(SELECT s.management FROM subscription_state s WHERE s.token_key = t.key)";

    private readonly StateStore _store;

    public TokenStore(StateStore store) => _store = store;

    public IReadOnlyList<VppToken> List() => _store.Read(c => Query(c, null, "", []));

    public VppToken? Find(Guid id) => _store.Read(c => Query(c, null, " WHERE t.id = $id", [("$id", id.ToString())]).FirstOrDefault());

    public VppToken? FindByName(string name) => _store.Read(c => Query(c, null, " WHERE t.name = $name", [("$name", name)]).FirstOrDefault());

    public VppToken? FindByLocation(DbConnection c, DbTransaction? t, string locationId) =>
        Query(c, t, " WHERE t.location_uid = $uid", [("$uid", locationId)]).FirstOrDefault();

    public static long Count(DbConnection c, DbTransaction? t) => (long)c.Scalar(t, "SELECT count(*) FROM tokens")!;

    public static bool NameTaken(DbConnection c, DbTransaction? t, string name, Guid? except = null) =>
        (long)c.Scalar(t, "SELECT count(*) FROM tokens WHERE name = $name AND id <> $id", ("$name", name), ("$id", (except ?? Guid.Empty).ToString()))! > 0;

    public string? ReadDefaultPlatform(Guid id) => _store.Read(c =>
        (string?)c.Scalar(null, "SELECT default_platform FROM tokens WHERE id = $id", ("$id", id.ToString())));

    /// <summary>The encrypted token text, for the engine's Apple client only.</summary>
    public string ReadProtectedSecret(Guid id) => _store.Read(c =>
        (string?)c.Scalar(null, "SELECT token_secret FROM tokens WHERE id = $id", ("$id", id.ToString())))
        ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"No token with id {id}. Run Get-VppToken to list them.", id);

    public static void Insert(DbConnection c, DbTransaction t, VppToken token, string protectedSecret, string? defaultPlatform) =>
        c.Execute(t, """
            INSERT INTO tokens (id, name, organization_name, location_name, location_uid, apple_id, account_type, country_or_region,
                default_platform, expiration, state, state_reason, automatically_update_apps, token_secret, last_sync_status, created_at, updated_at)
            VALUES ($id, $name, $org, $location, $uid, $appleId, $accountType, $country, $platform, $expiration, $state, $reason, $autoUpdate,
                $secret, $syncStatus, $created, $updated)
            """,
            ("$id", token.Id.ToString()), ("$name", token.Name), ("$org", token.OrganizationName), ("$location", token.LocationName),
            ("$uid", token.LocationId), ("$appleId", token.AppleId), ("$accountType", token.AccountType.ToString()),
            ("$country", token.CountryOrRegion), ("$platform", defaultPlatform), ("$expiration", token.ExpirationDateTime.ToStored()),
            ("$state", token.State.ToString()), ("$reason", token.StateReason), ("$autoUpdate", token.AutomaticallyUpdateApps ? 1 : 0),
            ("$secret", protectedSecret), ("$syncStatus", token.LastSyncStatus.ToString()), ("$created", token.CreatedDateTime.ToStored()),
            ("$updated", token.LastModifiedDateTime.ToStored()));

    /// <summary>Updates the columns named in <paramref name="values"/> (column name to value) and the modification time.</summary>
    public static void Update(DbConnection c, DbTransaction t, Guid id, DateTimeOffset now, IReadOnlyDictionary<string, object?> values)
    {
        var assignments = string.Join(", ", values.Keys.Select(k => $"{k} = ${k}"));
        var parameters = values.Select(kv => ("$" + kv.Key, kv.Value)).Append(("$id", id.ToString())).Append(("$now", now.ToStored())).ToArray();
        c.Execute(t, $"UPDATE tokens SET {assignments}, updated_at = $now WHERE id = $id", parameters);
    }

    public static void Delete(DbConnection c, DbTransaction t, Guid id) =>
        c.Execute(t, "DELETE FROM tokens WHERE id = $id", ("$id", id.ToString()));

    /// <summary>The token's row key, or null when the token is gone.</summary>
    internal static long? Key(DbConnection c, DbTransaction? t, Guid id) =>
        (long?)c.Scalar(t, "SELECT key FROM tokens WHERE id = $id", ("$id", id.ToString()));

    /// <summary>The token's state as stored, or null when the token is gone.</summary>
    internal static string? ReadState(DbConnection c, DbTransaction? t, Guid id) =>
        (string?)c.Scalar(t, "SELECT state FROM tokens WHERE id = $id", ("$id", id.ToString()));

    /// <summary>The expiration date Apple's client config gives, recorded by a sync.</summary>
    internal static void SetExpiration(DbConnection c, DbTransaction t, long tokenKey, DateTimeOffset expires) =>
        c.Execute(t, "UPDATE tokens SET expiration = $e WHERE key = $k", ("$e", expires.ToStored()), ("$k", tokenKey));

    /// <summary>A sync of the token started.</summary>
    internal static void SyncStarted(DbConnection c, DbTransaction t, Guid id) =>
        c.Execute(t, "UPDATE tokens SET last_sync_status = 'inProgress' WHERE id = $id", ("$id", id.ToString()));

    /// <summary>A sync of the token completed, at <paramref name="now"/> (stored form).</summary>
    internal static void SyncCompleted(DbConnection c, DbTransaction t, Guid id, string now) =>
        c.Execute(t, "UPDATE tokens SET last_sync_status = 'completed', last_sync_at = $now WHERE id = $id", ("$now", now), ("$id", id.ToString()));

    /// <summary>A sync of the token failed, at <paramref name="now"/> (stored form).</summary>
    /// <summary>A token whose sync runs were all recorded as interrupted: its last sync failed.</summary>
    internal static void SyncInterrupted(DbConnection c, DbTransaction t, string id) =>
        c.Execute(t, """
            UPDATE tokens SET last_sync_status = 'failed'
            WHERE id = $id AND last_sync_status = 'inProgress' AND NOT EXISTS (SELECT 1 FROM sync_runs WHERE token_id = $id AND status = 'inProgress')
            """, ("$id", id));

    internal static void SyncFailed(DbConnection c, DbTransaction t, Guid id, string now) =>
        c.Execute(t, "UPDATE tokens SET last_sync_status = 'failed', last_sync_at = $now WHERE id = $id", ("$now", now), ("$id", id.ToString()));

    private static List<VppToken> Query(DbConnection c, DbTransaction? t, string where, (string, object?)[] parameters)
    {
        using var command = c.Command(t, $"SELECT {Columns} FROM tokens t{where} ORDER BY t.name", parameters);
        using var reader = command.ExecuteReader();
        var tokens = new List<VppToken>();
        while (reader.Read())
        {
            tokens.Add(new VppToken
            {
                Id = Guid.Parse(reader.GetString(0)),
                Name = reader.GetString(1),
                OrganizationName = reader.GetString(2),
                LocationName = reader.GetStringOrNull(3),
                LocationId = reader.GetStringOrNull(4),
                AppleId = reader.GetString(5),
                AccountType = Enum.Parse<VppTokenAccountType>(reader.GetString(6)),
                CountryOrRegion = reader.GetStringOrNull(7),
                ExpirationDateTime = reader.GetString(8).ToDate(),
                State = Enum.Parse<VppTokenState>(reader.GetString(9)),
                StateReason = reader.GetStringOrNull(10),
                LastSyncDateTime = reader.GetStringOrNull(11)?.ToDate(),
                LastSyncStatus = Enum.Parse<VppTokenSyncStatus>(reader.GetString(12)),
                AutomaticallyUpdateApps = reader.GetInt64(13) != 0,
                CreatedDateTime = reader.GetString(14).ToDate(),
                LastModifiedDateTime = reader.GetString(15).ToDate(),
                AppCount = reader.IsDBNull(11) ? null : reader.GetInt32(16),
                BookCount = reader.IsDBNull(11) ? null : reader.GetInt32(17),
                TotalLicenseCount = reader.IsDBNull(11) ? null : reader.IsDBNull(18) ? 0 : reader.GetInt64(18),
                AssignedLicenseCount = reader.IsDBNull(11) ? null : reader.IsDBNull(19) ? 0 : reader.GetInt64(19),
                SubscriptionManagement = reader.GetStringOrNull(20) is { } declared ? Enum.Parse<Subscriptions.SubscriptionManagement>(declared) : null,
            });
        }
        return tokens;
    }
}
