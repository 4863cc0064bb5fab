using System.Data.Common;
using System.Text.RegularExpressions;
using VppPS.Engine.Apple;
using VppPS.Engine.Apple.Wire;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tokens;

/// <summary>
/// The token lifecycle: upload (claiming the location for VppPS at Apple), renew, settings,
/// removal, health, and the one place that opens an Apple client for a stored token and keeps
/// the token's state in step with what Apple answers.
/// </summary>
public sealed partial class TokenService
{
    public const string MdmName = "VppPS";
    private const string ClaimedByOtherMdm = "VppTokenClaimedByOtherMdm";
    private const string ReasonKey = "VppPS.StateReason";
    private readonly VppContext _context;
    private readonly TokenStore _tokens;

    public TokenService(VppContext context)
    {
        _context = context;
        _tokens = new TokenStore(context.Store);
    }

    public IReadOnlyList<VppToken> List() => _tokens.List();

    public VppToken Get(Guid id) => _tokens.Find(id)
        ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"No token has the id {id}. Run Get-VppToken to list the tokens.", id);

    public VppToken GetByName(string name) => _tokens.FindByName(name)
        ?? throw new VppException(VppErrorKind.NotFound, "VppTokenNotFound", $"No token is named '{name}'. Run Get-VppToken to list the tokens.", name);

    /// <summary>The mdmInfo VppPS claims locations with: stable per installation, readable, the host as metadata.</summary>
    public MdmInfo OwnMdmInfo => new() { Id = _context.Session.InstallationId, Name = MdmName, Metadata = Environment.MachineName };

    public async Task<VppToken> AddAsync(AddTokenRequest request, CancellationToken cancellationToken)
    {
        var file = request.File;
        var now = _context.Clock.UtcNow;
        if (file.ExpiresAt <= now)
            throw new VppException(VppErrorKind.TokenExpired, "VppTokenExpired",
                $"The content token of {file.OrganizationName} expired on {file.ExpiresAt:yyyy-MM-dd}. Download a new one from Apple Business / Apple School Manager.", file.OrganizationName);
        ValidateAppleId(request.AppleId);
        if (request.Name is not null) NameRules.Ensure(request.Name, "token name", "VppTokenNameInvalid");
        var cap = _context.Configuration.TokenCap;
        EnsureUnderCap(_context.Store.Read(c => TokenStore.Count(c, null)), cap);

        var client = AppleConnections.Create(_context, file.Bearer);
        var config = await client.GetClientConfigAsync(cancellationToken).ConfigureAwait(false);
        var location = config.LocationName ?? file.OrganizationName;
        if (config.UId is { } uid && _context.Store.Read(c => _tokens.FindByLocation(c, null, uid)) is { } existing)
            throw new VppException(VppErrorKind.AlreadyExists, "VppTokenDuplicateLocation",
                $"The organizational unit (location) '{location}' (uId {uid}) is already managed by the token '{existing.Name}'. To renew it, run Update-VppToken -Name '{existing.Name}' -Path <new .vpptoken file>.", existing.Name);
        await ClaimAsync(client, config, location, request.ClaimFromExternalMdm, "Add-VppToken", cancellationToken).ConfigureAwait(false);

        var id = Guid.NewGuid();
        var secret = _context.Session.Secrets.Protect(file.Bearer);
        return _context.Store.Write((c, t) =>
        {
            // Checked again inside the write: another process may have added tokens meanwhile.
            EnsureUnderCap(TokenStore.Count(c, t), cap);
            if (config.UId is { } u && _tokens.FindByLocation(c, t, u) is { } raced)
                throw new VppException(VppErrorKind.AlreadyExists, "VppTokenDuplicateLocation",
                    $"The organizational unit (location) '{location}' was just added as '{raced.Name}'. Use Update-VppToken to renew it.", raced.Name);
            var token = new VppToken
            {
                Id = id,
                Name = UniqueName(c, t, request.Name ?? location, request.Name is not null),
                OrganizationName = file.OrganizationName,
                LocationName = config.LocationName,
                LocationId = config.UId,
                AppleId = request.AppleId.Trim(),
                AccountType = request.AccountType,
                CountryOrRegion = request.CountryOrRegion ?? config.CountryISO2ACode,
                ExpirationDateTime = config.TokenExpirationDate ?? file.ExpiresAt,
                State = VppTokenState.valid,
                LastSyncStatus = VppTokenSyncStatus.none,
                AutomaticallyUpdateApps = request.AutomaticallyUpdateApps,
                CreatedDateTime = now,
                LastModifiedDateTime = now,
            };
            TokenStore.Insert(c, t, token, secret, config.DefaultPlatform);
            _context.Journal.Write(c, t, "token:" + token.Name, "Add",
                $"token for {token.OrganizationName} / {token.LocationName} (uId {token.LocationId}) added, Apple ID {token.AppleId}, {token.AccountType}, expires {token.ExpirationDateTime:yyyy-MM-dd}");
            return token;
        });
    }

    public async Task<VppToken> UpdateAsync(Guid id, ContentTokenFile file, CancellationToken cancellationToken)
    {
        var token = Get(id);
        var now = _context.Clock.UtcNow;
        if (file.ExpiresAt <= now)
            throw new VppException(VppErrorKind.TokenExpired, "VppTokenExpired",
                $"The new content token expired on {file.ExpiresAt:yyyy-MM-dd}. Download a current one from Apple Business / Apple School Manager.", token.Name);
        var client = AppleConnections.Create(_context, file.Bearer);
        var config = await client.GetClientConfigAsync(cancellationToken).ConfigureAwait(false);
        if (token.LocationId is not null && config.UId != token.LocationId)
            throw new VppException(VppErrorKind.InvalidArgument, "VppTokenOtherLocation",
                $"This file is the token of another organizational unit (location) ('{config.LocationName}', uId {config.UId}), not of '{token.LocationName}' (uId {token.LocationId}). " +
                "Renew a token with a file of its own location; add another one with Add-VppToken.", token.Name);
        await ClaimAsync(client, config, token.LocationName ?? token.Name, claimFromExternal: false, "Update-VppToken", cancellationToken).ConfigureAwait(false);
        var secret = _context.Session.Secrets.Protect(file.Bearer);
        _context.Store.Write((c, t) =>
        {
            TokenStore.Update(c, t, id, now, new Dictionary<string, object?>
            {
                ["token_secret"] = secret,
                ["expiration"] = (config.TokenExpirationDate ?? file.ExpiresAt).ToStored(),
                ["state"] = nameof(VppTokenState.valid),
                ["state_reason"] = null,
                ["organization_name"] = file.OrganizationName,
                ["location_name"] = config.LocationName ?? token.LocationName,
                ["location_uid"] = config.UId ?? token.LocationId,
            });
            _context.Journal.Write(c, t, "token:" + token.Name, "Update", $"token renewed, expires {(config.TokenExpirationDate ?? file.ExpiresAt):yyyy-MM-dd}");
        });
        return Get(id);
    }

    public async Task<VppToken> SetAsync(Guid id, TokenSettingsChange change, CancellationToken cancellationToken)
    {
        var token = Get(id);
        if (change.AppleId is not null) ValidateAppleId(change.AppleId);
        if (change.Name is not null) NameRules.Ensure(change.Name, "token name", "VppTokenNameInvalid");
        if (change.ClaimFromExternalMdm)
        {
            var client = OpenClient(token, guard: false);
            var config = await client.GetClientConfigAsync(cancellationToken).ConfigureAwait(false);
            await ClaimAsync(client, config, token.LocationName ?? token.Name, claimFromExternal: true, "Set-VppToken", cancellationToken).ConfigureAwait(false);
        }
        var now = _context.Clock.UtcNow;
        _context.Store.Write((c, t) =>
        {
            var values = new Dictionary<string, object?>();
            var said = new List<string>();
            if (change.Name is not null && change.Name != token.Name)
            {
                if (TokenStore.NameTaken(c, t, change.Name, id))
                    throw new VppException(VppErrorKind.AlreadyExists, "VppTokenNameTaken", $"Another token is already named '{change.Name}'. Choose another name.", change.Name);
                values["name"] = change.Name; said.Add($"renamed to '{change.Name}'");
            }
            if (change.AppleId is not null) { values["apple_id"] = change.AppleId.Trim(); said.Add($"Apple ID {change.AppleId.Trim()}"); }
            if (change.CountryOrRegion is not null) { values["country_or_region"] = change.CountryOrRegion; said.Add($"country {change.CountryOrRegion}"); }
            if (change.AutomaticallyUpdateApps is { } auto) { values["automatically_update_apps"] = auto ? 1 : 0; said.Add($"automatic app updates {(auto ? "on" : "off")}"); }
            if (change.ClaimFromExternalMdm) { values["state"] = nameof(VppTokenState.valid); values["state_reason"] = null; said.Add("location claimed back for VppPS"); }
            if (values.Count == 0) return;
            TokenStore.Update(c, t, id, now, values);
            _context.Journal.Write(c, t, "token:" + token.Name, "Set", string.Join(", ", said));
        });
        return Get(id);
    }

    /// <summary>Forgets a token. Licenses VppPS assigned under it are counted by the caller's policy (see Remove-VppToken).</summary>
    public void Remove(Guid id, string summary, TokenLease lease)
    {
        var token = Get(id);
        _context.Store.Write((c, t) =>
        {
            lease.Lease.EnsureHeld(c, t);
            TokenStore.Delete(c, t, id);
            _context.Journal.Write(c, t, "token:" + token.Name, "Remove", summary);
        });
    }

    /// <summary>
    /// An Apple client for a stored token. With <paramref name="guard"/>, every answer is checked:
    /// another MDM's mdmInfo stops the call (CallAsync then marks the token assignedToExternalMDM).
    /// </summary>
    public AppleClient OpenClient(VppToken token, bool guard = true)
    {
        var bearer = ReadBearer(token);
        var client = AppleConnections.Create(_context, bearer);
        if (!guard) return client;
        var ownId = _context.Session.InstallationId;
        client.EnvelopeReceived += (_, envelope) =>
        {
            if (envelope.MdmInfo?.Id is not { } holder || holder == ownId) return;
            var reason = DescribeMdm(envelope.MdmInfo);
            throw new VppException(VppErrorKind.Conflict, ClaimedByOtherMdm,
                $"Another management system ({reason}) has taken over the organizational unit (location) of the token '{token.Name}'. VppPS stopped and will write nothing under this token. " +
                $"To take it back, run Set-VppToken -Name '{token.Name}' -ClaimFromExternalMdm (the other system's assignments may be lost).", token.Name)
            { Data = { [ReasonKey] = "claimed by " + reason } };
        };
        return client;
    }

    /// <summary>The token itself, decrypted, for the engine's Apple clients only; never to be shown.</summary>
    internal string ReadBearer(VppToken token) => _context.Session.Secrets.Unprotect(_tokens.ReadProtectedSecret(token.Id));

    /// <summary>
    /// Runs work against Apple for a token and records in the token's state what Apple said about
    /// the token itself. The state is written after the work ended, so that work holding a
    /// transaction (a sync) has rolled it back by then.
    /// </summary>
    public async Task<T> CallAsync<T>(VppToken token, Func<AppleClient, Task<T>> work)
    {
        try
        {
            return await work(OpenClient(token)).ConfigureAwait(false);
        }
        catch (VppException e) when (StateFrom(e) is { } said)
        {
            MarkState(token, said.State, said.Reason);
            throw;
        }
    }

    /// <summary>What Apple's answer says of the token itself (another management system holds it, it expired, Apple revoked or does not accept it); null for anything else.</summary>
    private static (VppTokenState State, string? Reason)? StateFrom(VppException e) =>
        e.ErrorId == ClaimedByOtherMdm ? (VppTokenState.assignedToExternalMDM, e.Data[ReasonKey] as string)
        : e.AppleErrorNumber is AppleErrorNumbers.TokenExpired ? (VppTokenState.expired, "Apple says the token has expired (9621)")
        : e.AppleErrorNumber is AppleErrorNumbers.TokenRevoked ? (VppTokenState.invalid, "Apple revoked the token (9625)")
        : e.AppleErrorNumber is AppleErrorNumbers.InvalidToken ? (VppTokenState.invalid, "Apple does not accept the token (9622)")
        : null;

    /// <summary>Refuses writes under a token that is not valid, with what to do about it.</summary>
    public static void EnsureWritable(VppToken token) => EnsureUsable(token, "Nothing can be changed under");

    /// <summary>Refuses work under a token that is not valid; <paramref name="refusal"/> starts the message ("Nothing can be changed under").</summary>
    public static void EnsureUsable(VppToken token, string refusal)
    {
        var advice = token.State switch
        {
            VppTokenState.valid => null,
            VppTokenState.expired => $"it expired on {token.ExpirationDateTime:yyyy-MM-dd}. Download a new token and run Update-VppToken -Name '{token.Name}' -Path <file>.",
            VppTokenState.invalid => $"Apple does not accept it ({token.StateReason}). Download a new token and run Update-VppToken -Name '{token.Name}' -Path <file>.",
            VppTokenState.assignedToExternalMDM => $"another management system holds its organizational unit (location) ({token.StateReason}). Take it back with Set-VppToken -Name '{token.Name}' -ClaimFromExternalMdm.",
            _ => $"its state is {token.State}.",
        };
        if (advice is not null)
            throw new VppException(token.State == VppTokenState.expired ? VppErrorKind.TokenExpired : VppErrorKind.Conflict, "VppTokenNotWritable",
                $"{refusal} the token '{token.Name}': {advice}", token.Name);
    }

    public IReadOnlyList<TokenHealth> Test(VppToken token)
    {
        var now = _context.Clock.UtcNow;
        var findings = new List<TokenHealth>();
        void Add(HealthSeverity severity, string check, string message) => findings.Add(new TokenHealth(token.Name, token.Id, severity, check, message));

        var days = token.DaysUntilExpiration(now);
        if (token.ExpirationDateTime <= now || token.State == VppTokenState.expired)
            Add(HealthSeverity.Error, "Expiry", $"Expired on {token.ExpirationDateTime:yyyy-MM-dd}. Download a new token and run Update-VppToken -Name '{token.Name}'.");
        else if (days <= 7)
            Add(HealthSeverity.Error, "Expiry", $"Expires in {days} day(s), on {token.ExpirationDateTime:yyyy-MM-dd} (7-day warning). Renew it now with Update-VppToken.");
        else if (days <= 15)
            Add(HealthSeverity.Warning, "Expiry", $"Expires in {days} days, on {token.ExpirationDateTime:yyyy-MM-dd} (15-day warning). Renew it with Update-VppToken.");
        else if (days <= 30)
            Add(HealthSeverity.Warning, "Expiry", $"Expires in {days} days, on {token.ExpirationDateTime:yyyy-MM-dd} (30-day warning).");

        switch (token.State)
        {
            case VppTokenState.invalid:
                Add(HealthSeverity.Error, "State", $"Invalid: {token.StateReason}. Download a new token and run Update-VppToken."); break;
            case VppTokenState.assignedToExternalMDM:
                Add(HealthSeverity.Error, "State", $"Another management system holds the organizational unit (location) ({token.StateReason}). Set-VppToken -ClaimFromExternalMdm takes it back."); break;
            case VppTokenState.duplicateLocationId:
                Add(HealthSeverity.Error, "State", "Another token manages the same organizational unit (location). Remove one of them."); break;
        }

        var interval = _context.Configuration.SyncInterval;
        if (token.LastSyncStatus == VppTokenSyncStatus.failed)
            Add(HealthSeverity.Warning, "Sync", $"The last sync failed. See Get-VppSyncHistory -Token '{token.Name}'.");
        if (token.LastSyncDateTime is null)
            Add(HealthSeverity.Information, "Sync", "Never synced. Run Sync-VppToken.");
        else if (now - token.LastSyncDateTime.Value > interval * 2)
            Add(HealthSeverity.Warning, "Sync", $"Last synced {token.LastSyncDateTime:yyyy-MM-dd HH:mm} UTC, more than twice the sync interval ({interval.TotalHours:0} h) ago. Check the sync schedule (Get-VppSyncSchedule).");

        if (!findings.Any(f => f.Severity != HealthSeverity.Information))
            Add(HealthSeverity.Information, "Overall", "Healthy.");
        return findings;
    }

    /// <summary>Asks Apple about the token now (client/config), which refreshes its state.</summary>
    public async Task<VppToken> CheckOnlineAsync(VppToken token, CancellationToken cancellationToken)
    {
        (VppTokenState State, string? Reason)? said = null;
        try
        {
            var config = await CallAsync(token, c => c.GetClientConfigAsync(cancellationToken)).ConfigureAwait(false);
            if (token.State != VppTokenState.valid && config.MdmInfo?.Id == _context.Session.InstallationId)
            {
                said = (VppTokenState.valid, null);
                MarkState(token, VppTokenState.valid, null);
            }
        }
        catch (VppException e) when (e.Kind is VppErrorKind.TokenExpired or VppErrorKind.TokenInvalid or VppErrorKind.Conflict)
        {
            // The state now says what went wrong; Test reports it.
            said = StateFrom(e);
        }
        var current = Get(token.Id);
        // A login that may only read recorded nothing: the token is told in the state Apple gave it now.
        return _context.Store.ReadOnly && said is { } now ? current.WithState(now.State, now.Reason) : current;
    }

    /// <summary>Records what Apple said of the token; on a store this login may only read, nothing (the caller tells it).</summary>
    internal void MarkState(VppToken token, VppTokenState state, string? reason)
    {
        if (_context.Store.ReadOnly) return;
        _context.Store.Write((c, t) =>
        {
            var current = TokenStore.ReadState(c, t, token.Id);
            if (current is null || current == state.ToString()) return;
            TokenStore.Update(c, t, token.Id, _context.Clock.UtcNow, new Dictionary<string, object?> { ["state"] = state.ToString(), ["state_reason"] = reason });
            _context.Journal.Write(c, t, "token:" + token.Name, "State", $"state {current} -> {state}{(reason is null ? "" : ": " + reason)}");
        });
    }

    private async Task ClaimAsync(AppleClient client, ClientConfigResponse config, string location, bool claimFromExternal, string command, CancellationToken cancellationToken)
    {
        var own = OwnMdmInfo;
        if (config.MdmInfo?.Id is { Length: > 0 } holder && holder != own.Id)
        {
            var other = DescribeMdm(config.MdmInfo);
            if (!claimFromExternal)
                throw new VppException(VppErrorKind.Conflict, "VppTokenClaimedByOtherMdm",
                    $"The organizational unit (location) '{location}' is managed by another management system: {other}. An organizational unit must be managed by one system only. " +
                    $"To take it over, run {command} again with -ClaimFromExternalMdm; the other system's assignments may be lost.", location);
            _context.Observer.Warning($"Taking the organizational unit (location) '{location}' over from {other}. That system's assignments may be lost, and it should stop managing it.");
        }
        if (config.MdmInfo?.Id == own.Id) return;
        await client.SetClientConfigAsync(new ClientConfigRequest { MdmInfo = own }, cancellationToken).ConfigureAwait(false);
    }

    private static string DescribeMdm(MdmInfo info) =>
        $"'{info.Name ?? "unnamed"}'" + (string.IsNullOrWhiteSpace(info.Metadata) ? "" : $" ({info.Metadata})") + $" with id {info.Id}";

    private static void EnsureUnderCap(long count, int cap)
    {
        if (count >= cap)
            throw new VppException(VppErrorKind.LimitExceeded, "VppTokenCapReached",
                $"VppPS already holds {count} tokens, the most allowed (TokenCap {cap}). Remove a token you no longer need with Remove-VppToken, or raise the cap with Set-VppConfiguration -TokenCap.", cap);
    }

    private static void ValidateAppleId(string appleId)
    {
        if (!AppleIdPattern().IsMatch(appleId.Trim()))
            throw new VppException(VppErrorKind.InvalidArgument, "VppBadAppleId",
                $"'{appleId}' is not an Apple ID: give the e-mail address of the Managed Apple Account that downloaded the token, such as admin@school.example.", appleId);
    }

    private static string UniqueName(DbConnection c, DbTransaction t, string wanted, bool explicitName)
    {
        if (!TokenStore.NameTaken(c, t, wanted)) return wanted;
        if (explicitName)
            throw new VppException(VppErrorKind.AlreadyExists, "VppTokenNameTaken", $"Another token is already named '{wanted}'. Choose another -Name.", wanted);
        for (var n = 2; ; n++)
            if (!TokenStore.NameTaken(c, t, $"{wanted} ({n})")) return $"{wanted} ({n})";
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex AppleIdPattern();
}
