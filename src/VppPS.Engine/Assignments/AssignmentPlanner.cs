using System.Data.Common;
using VppPS.Engine.Store;

namespace VppPS.Engine.Assignments;

/// <summary>
/// Computes a token's plan in SQL: the licenses the assignments want (Required: every member;
/// Available: members who asked; direct licenses) that Apple does not hold, the licenses
/// VppPS gave that nothing wants any more (Uninstall, left the group), VPP users to create and
/// to retire. Rows are streamed from the database: only the differences are kept in memory.
/// No license beyond the available count is planned; the rest wait, in a stable order. What
/// open requests (pending_operations) may still change at Apple is left out, and the licenses
/// they may still take count as taken.
/// </summary>
public static class AssignmentPlanner
{
    // The wanted (asset, target) rows of every Required/Available assignment and direct request, with
    // the reason. Users without a VPP user yet have a NULL target (they must be created first).
    private static string Wanted => WantedSql(changedOnly: false);

    /// <summary>
    /// The wanted rows; with <paramref name="changedOnly"/>, only for the members a plan looks at
    /// (changed_devices / changed_users, temporary tables) and every direct license (there are few).
    /// </summary>
    private static string WantedSql(bool changedOnly) => WantedTemplate
        .Replace("{devices}", changedOnly ? "AND gm.member_key IN (SELECT device_key FROM changed_devices)" : "")
        .Replace("{users}", changedOnly ? "AND gm.member_key IN (SELECT user_key FROM changed_users)" : "");

    private const string WantedTemplate = """
        SELECT a.asset_key, 1 AS kind, d.serial_number AS target, d.serial_number AS display, CAST(NULL AS BIGINT) AS user_key, s.id AS assignment_id, g.name AS grp,
               'Required for device group ''' || g.name || '''' AS reason, s.created_at AS rank
        FROM assignments s
        JOIN assets a ON a.token_key = s.token_key AND a.adam_id = s.adam_id AND a.pricing_param = s.pricing_param
        JOIN directory_groups g ON g.group_key = s.group_key AND g.kind = 'Device'
        JOIN group_members gm ON gm.group_key = s.group_key
        JOIN directory_devices d ON d.device_key = gm.member_key AND d.removed_at IS NULL
        WHERE s.token_key = $k AND (CAST($only AS BIGINT) IS NULL OR a.asset_key = $only) AND s.intent = 'Required' AND s.license_type = 'Device' {devices}
        UNION ALL
        SELECT a.asset_key, 1, d.serial_number, d.serial_number, NULL, s.id, g.name,
               'Required for user group ''' || g.name || ''' (device of ' || u.user_principal_name || ')', s.created_at
        FROM assignments s
        JOIN assets a ON a.token_key = s.token_key AND a.adam_id = s.adam_id AND a.pricing_param = s.pricing_param
        JOIN directory_groups g ON g.group_key = s.group_key AND g.kind = 'User'
        JOIN group_members gm ON gm.group_key = s.group_key
        JOIN directory_users u ON u.user_key = gm.member_key AND u.removed_at IS NULL
        JOIN directory_devices d ON d.owner_upn = u.user_principal_name AND d.removed_at IS NULL
        WHERE s.token_key = $k AND (CAST($only AS BIGINT) IS NULL OR a.asset_key = $only) AND s.intent = 'Required' AND s.license_type = 'Device' {users}
        UNION ALL
        SELECT a.asset_key, 0, mu.client_user_id, u.user_principal_name, u.user_key, s.id, g.name,
               s.intent || ' for user group ''' || g.name || '''' || CASE WHEN s.intent = 'Available' THEN ', requested' ELSE '' END, s.created_at
        FROM assignments s
        JOIN assets a ON a.token_key = s.token_key AND a.adam_id = s.adam_id AND a.pricing_param = s.pricing_param
        JOIN directory_groups g ON g.group_key = s.group_key AND g.kind = 'User'
        JOIN group_members gm ON gm.group_key = s.group_key
        JOIN directory_users u ON u.user_key = gm.member_key AND u.removed_at IS NULL
        LEFT JOIN managed_users mu ON mu.token_key = s.token_key AND mu.directory_user_id = u.id AND mu.retired_at IS NULL
        WHERE s.token_key = $k AND (CAST($only AS BIGINT) IS NULL OR a.asset_key = $only) AND s.license_type = 'User' AND (s.intent = 'Required' OR (s.intent = 'Available' AND EXISTS (
              SELECT 1 FROM license_requests r WHERE r.token_key = s.token_key AND r.adam_id = s.adam_id AND r.pricing_param = s.pricing_param
              AND r.target_kind = 0 AND r.member_key = u.user_key))) {users}
        UNION ALL
        SELECT a.asset_key, r.target_kind,
               CASE WHEN r.target_kind = 1 THEN d.serial_number ELSE mu.client_user_id END,
               CASE WHEN r.target_kind = 1 THEN d.serial_number ELSE u.user_principal_name END,
               CASE WHEN r.target_kind = 0 THEN u.user_key END, NULL, NULL, 'direct license (Add-VppAppLicense -Force)', r.requested_at
        FROM license_requests r
        JOIN assets a ON a.token_key = r.token_key AND a.adam_id = r.adam_id AND a.pricing_param = r.pricing_param
        LEFT JOIN directory_devices d ON r.target_kind = 1 AND d.device_key = r.member_key AND d.removed_at IS NULL
        LEFT JOIN directory_users u ON r.target_kind = 0 AND u.user_key = r.member_key AND u.removed_at IS NULL
        LEFT JOIN managed_users mu ON mu.token_key = r.token_key AND mu.directory_user_id = u.id AND mu.retired_at IS NULL
        WHERE r.token_key = $k AND (CAST($only AS BIGINT) IS NULL OR a.asset_key = $only) AND r.forced = 1 AND (d.device_key IS NOT NULL OR u.user_key IS NOT NULL)
        """;

    /// <summary>
    /// Licenses VppPS gave whose assignment was removed without reclaiming ("kept") belong again
    /// to an assignment that wants them, so that its Uninstall or removal reclaims them too.
    /// </summary>
    public static int AdoptKeptLicenses(DbConnection c, DbTransaction t, long tokenKey)
    {
        var k = ("$k", (object?)tokenKey);
        var assets = new List<long>();
        using (var command = c.Command(t, """
            SELECT DISTINCT a.asset_key FROM managed_licenses ml
            JOIN assets a ON a.token_key = ml.token_key AND a.adam_id = ml.adam_id AND a.pricing_param = ml.pricing_param
            WHERE ml.token_key = $k AND ml.assignment_id IS NULL
            """, k))
        using (var reader = command.ExecuteReader())
            while (reader.Read()) assets.Add(reader.GetInt64(0));
        if (assets.Count == 0) return 0;
        return ManagedLicenses.AssignKept(c, t, tokenKey, Wanted, assets);
    }

    /// <summary>
    /// What the apply does before it plans: kept licenses go back to the assignments that want them
    /// (<see cref="AdoptKeptLicenses"/>), and seats that lapse take the billing period they are given
    /// for (<see cref="SeatPlanner.CoverBillingPeriods"/>).
    /// </summary>
    internal static void PrepareToPlan(DbConnection c, DbTransaction t, long tokenKey)
    {
        AdoptKeptLicenses(c, t, tokenKey);
        SeatPlanner.CoverBillingPeriods(c, t, tokenKey);
    }

    /// <summary>People linked to the VPP user the location already had for them (<see cref="AssignmentPlan.UsersToAdopt"/>).</summary>
    internal static void LinkAdopted(DbConnection c, DbTransaction t, long tokenKey, IEnumerable<VppUserToAdopt> users, string now)
    {
        foreach (var user in users)
            ManagedLicenses.UserAdopted(c, t, tokenKey, user.ClientUserId, user.DirectoryUserId, now);
    }

    /// <summary>
    /// Links the existing VPP users <paramref name="plan"/> adopts (<paramref name="link"/>) and plans
    /// again (<paramref name="replan"/>), until a plan adopts no one new: a person whose VPP user holds
    /// the license or seat already needs none, and the one the first plan counted for them may go to
    /// someone who has a VPP user to adopt too. The plan returned lists every user adopted.
    /// </summary>
    internal static AssignmentPlan AdoptExistingUsers(AssignmentPlan plan, Action<IReadOnlyList<VppUserToAdopt>> link, Func<AssignmentPlan, AssignmentPlan> replan)
    {
        var adopted = new List<VppUserToAdopt>();
        var linked = new HashSet<string>(StringComparer.Ordinal);
        while (plan.UsersToAdopt.Where(u => !linked.Contains(u.ClientUserId)).ToList() is { Count: > 0 } users)
        {
            link(users);
            adopted.AddRange(users);
            linked.UnionWith(users.Select(u => u.ClientUserId));
            plan = replan(plan);
        }
        plan.UsersToAdopt.Clear();
        plan.UsersToAdopt.AddRange(adopted);
        return plan;
    }

    /// <summary>
    /// What applying would change, computed by the apply's own steps in its order (see
    /// AssignmentApplier.ApplyAsync) in the caller's transaction, and undone there before it returns
    /// (a savepoint rolled back): <see cref="PrepareToPlan"/>, <paramref name="plan"/>, and the existing
    /// VPP users it adopts linked with the plan made again (<see cref="AdoptExistingUsers"/>), so that a
    /// person who holds the license or seat under that VPP user already gets none planned. The plan
    /// returned lists the users adopted; the VPP users to create stay to create (Apple creates them).
    /// </summary>
    internal static AssignmentPlan PlanAsApplied(DbConnection c, DbTransaction t, long tokenKey, string now, Func<AssignmentPlan> plan)
    {
        const string savepoint = "plan_as_applied";
        t.Save(savepoint);
        PrepareToPlan(c, t, tokenKey);
        var result = AdoptExistingUsers(plan(), users => LinkAdopted(c, t, tokenKey, users, now), _ => plan());
        t.Rollback(savepoint);
        t.Release(savepoint);
        return result;
    }

    /// <param name="onlyAsset">Plan one asset only (the shortage check of Set-VppAssignment); null: everything.</param>
    /// <param name="fromChanges">Look only at members who changed since the last plan, unless something asks for a full plan.</param>
    public static AssignmentPlan Plan(DbConnection c, DbTransaction? t, long tokenKey, string tokenName, long? onlyAsset = null, bool fromChanges = false)
    {
        var k = ("$k", (object?)tokenKey);
        var only = ("$only", (object?)onlyAsset);
        var lastSeq = Convert.ToInt64(c.Scalar(t, "SELECT coalesce(max(seq), 0) FROM member_changes") ?? 0L);
        var fullPlanRequests = Convert.ToInt64(c.Scalar(t, "SELECT coalesce(max(needs_full_plan), 1) FROM plan_state WHERE token_key = $k", k) ?? 1L);
        var incremental = fromChanges && onlyAsset is null && fullPlanRequests == 0;
        var plan = new AssignmentPlan { TokenName = tokenName, TokenKey = tokenKey, PlannedSeq = lastSeq, Incremental = incremental, FullPlanRequests = fullPlanRequests };
        // The members and targets the plan looks at: those who joined or left a group since the last
        // plan, or, for a full plan, those whose wanted and held licenses differ. One asset is small
        // enough to look at whole.
        var restricted = onlyAsset is null;
        if (restricted)
        {
            ClearChangedMembers(c, t);
            if (incremental) CollectChangedMembers(c, t, lastSeq, ("$k", tokenKey));
            // Where most targets differ (a first plan), looking at everyone is quicker than looking them up.
            else restricted = DifferingTargets.Collect(c, t, tokenKey, limit: Convert.ToInt64(c.Scalar(t,
                "SELECT ((SELECT count(*) FROM directory_devices WHERE removed_at IS NULL) + (SELECT count(*) FROM directory_users WHERE removed_at IS NULL)) / 2")));
            if (restricted) CompleteChangedMembers(c, t, tokenKey);
            // PostgreSQL knows nothing of fresh temporary tables: without their sizes it walks every
            // assignment's whole group (5,000,000 rows for 50 apps x 100,000 members) to find the few changed.
            if (restricted && c.IsPostgres()) c.Execute(t, "ANALYZE changed_devices, changed_users, changed_targets");
        }
        var assets = ReadAssets(c, t, tokenKey);
        var inFlight = PendingOperations.ReadInFlight(c, t, tokenKey);

        // Licenses to give: wanted and not held. Rows come by asset, so duplicates (a member of two
        // groups with the same app) are caught per asset; equal texts are shared, so a plan of
        // millions holds each serial number and reason once. Read through SQLite's own API: a first
        // plan reads millions of rows, and DbDataReader's per-column cost was most of its time.
        var seen = new HashSet<(int, string)>();
        var pool = new Utf8StringPool();
        // Consecutive rows mostly share their assignment, group and reason: a look at the last one first.
        var (assignmentIds, groups, reasons) = (new LastUtf8String(pool), new LastUtf8String(pool), new LastUtf8String(pool));
        long currentAsset = -1;
        var associations = new List<LicenseChange>();
        var missingSql = $"""
            SELECT w.asset_key, w.kind, w.target, w.display, w.user_key, w.assignment_id, w.grp, w.reason
            FROM ({WantedSql(restricted)}) w
            WHERE w.target IS NULL OR NOT EXISTS (SELECT 1 FROM licenses l WHERE l.asset_key = w.asset_key AND l.target_kind = w.kind AND l.target = w.target)
            ORDER BY w.asset_key, w.rank, w.display
            """;
        // Whether a wanted row becomes a license to give: once per asset and target, and not while a
        // request that may give it is still open at Apple.
        bool Gives(long assetKey, int kind, string? target, string display, long? userKey)
        {
            if (assetKey != currentAsset) { seen.Clear(); currentAsset = assetKey; }
            if (!seen.Add((kind, target ?? "upn:" + display))) return false;
            var asset = assets[assetKey];
            return inFlight is null || (target is null
                ? userKey is not { } key || !inFlight.PeopleBeingCreated.Contains(key)
                : !inFlight.Licenses.Contains((asset.AdamId, asset.PricingParam, kind, target)));
        }
        if (c.IsPostgres())
        {
            // PostgreSQL: the same rows through the data reader, equal texts shared through a dictionary.
            var texts = new Dictionary<string, string>(StringComparer.Ordinal);
            string Share(string text) => texts.TryGetValue(text, out var shared) ? shared : texts[text] = text;
            using var command = c.Command(t, missingSql, k, only);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var assetKey = reader.GetInt64(0);
                var kind = (int)reader.GetInt64(1);
                var target = reader.IsDBNull(2) ? null : Share(reader.GetString(2));
                var display = Share(reader.GetString(3));
                long? userKey = reader.IsDBNull(4) ? null : reader.GetInt64(4);
                if (!Gives(assetKey, kind, target, display, userKey)) continue;
                var asset = assets[assetKey];
                associations.Add(new LicenseChange(assetKey, asset.AdamId, asset.PricingParam, asset.Name, kind, target, display,
                    userKey, reader.IsDBNull(5) ? null : Share(reader.GetString(5)),
                    reader.IsDBNull(6) ? null : Share(reader.GetString(6)), Share(reader.GetString(7))));
            }
        }
        else
        using (var rows = new RawStatement(c, missingSql))
        {
            rows.Bind("$k", tokenKey);
            rows.Bind("$only", onlyAsset);
            while (rows.Read())
            {
                var assetKey = rows.Int64(0);
                var kind = (int)rows.Int64(1);
                var target = rows.IsNull(2) ? null : pool.Get(rows.Utf8(2));
                var display = target is not null && rows.Utf8(3).SequenceEqual(rows.Utf8(2)) ? target : pool.Get(rows.Utf8(3));
                long? userKey = rows.IsNull(4) ? null : rows.Int64(4);
                if (!Gives(assetKey, kind, target, display, userKey)) continue;
                var asset = assets[assetKey];
                associations.Add(new LicenseChange(assetKey, asset.AdamId, asset.PricingParam, asset.Name, kind, target, display,
                    userKey, rows.IsNull(5) ? null : assignmentIds.Get(rows.Utf8(5)),
                    rows.IsNull(6) ? null : groups.Get(rows.Utf8(6)), reasons.Get(rows.Utf8(7))));
            }
        }
        seen.Clear();

        // Licenses to take back: given by VppPS for an assignment that no longer wants them (Uninstall,
        // left the group, removed from the directory, no longer requested). Index lookups per license.
        var candidates = new List<LicenseChange>();
        var candidateSource = restricted
            // From the few changed targets into managed licenses by target: CROSS JOIN keeps that order and
            // INDEXED BY the index (left alone, SQLite walks the token's whole primary key instead).
            ? $"changed_targets ct {(c.IsPostgres() ? "JOIN managed_licenses ml " : "CROSS JOIN managed_licenses ml INDEXED BY ix_managed_licenses_target ")}ON ml.token_key = $k AND ml.target_kind = ct.target_kind AND ml.target = ct.target"
            : "managed_licenses ml";
        using (var command = c.Command(t, $"""
            SELECT a.asset_key, ml.target_kind, ml.target, coalesce(u.user_principal_name, ml.target), ml.assignment_id, g.name,
                   CASE WHEN s.intent = 'Uninstall' THEN 'Uninstall for group ''' || g.name || ''''
                        ELSE 'no longer wanted by group ''' || g.name || '''' END
            FROM {candidateSource}
            JOIN assets a ON a.token_key = ml.token_key AND a.adam_id = ml.adam_id AND a.pricing_param = ml.pricing_param AND a.revocable = 1
            JOIN licenses l ON l.asset_key = a.asset_key AND l.target_kind = ml.target_kind AND l.target = ml.target
            JOIN assignments s ON s.id = ml.assignment_id
            JOIN directory_groups g ON g.group_key = s.group_key
            LEFT JOIN directory_devices d ON ml.target_kind = 1 AND d.serial_number = ml.target AND d.removed_at IS NULL
            LEFT JOIN managed_users mu ON ml.target_kind = 0 AND mu.token_key = ml.token_key AND mu.client_user_id = ml.target
            LEFT JOIN directory_users u ON ml.target_kind = 0 AND u.id = mu.directory_user_id AND u.removed_at IS NULL
            LEFT JOIN directory_users owner ON ml.target_kind = 1 AND g.kind = 'User' AND owner.user_principal_name = d.owner_upn AND owner.removed_at IS NULL
            WHERE ml.token_key = $k AND (CAST($only AS BIGINT) IS NULL OR a.asset_key = $only) AND (
                s.intent = 'Uninstall'
                OR NOT EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_key = s.group_key AND gm.member_key =
                    CASE WHEN g.kind = 'Device' THEN d.device_key WHEN ml.target_kind = 1 THEN owner.user_key ELSE u.user_key END)
                OR (s.intent = 'Available' AND NOT EXISTS (SELECT 1 FROM license_requests r WHERE r.token_key = ml.token_key
                    AND r.adam_id = ml.adam_id AND r.pricing_param = ml.pricing_param AND r.target_kind = 0 AND r.member_key = u.user_key)))
            ORDER BY a.asset_key, ml.target
            """, k, only))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
            {
                var assetKey = reader.GetInt64(0);
                var asset = assets[assetKey];
                if (inFlight is not null && inFlight.Licenses.Contains((asset.AdamId, asset.PricingParam, reader.GetInt32(1), reader.GetString(2)))) continue;
                candidates.Add(new LicenseChange(assetKey, asset.AdamId, asset.PricingParam, asset.Name, reader.GetInt32(1), reader.GetString(2),
                    reader.GetString(3), null, reader.GetStringOrNull(4), reader.GetStringOrNull(5), reader.GetString(6)));
            }
        // A license another assignment still wants stays (Required wins over Uninstall, as in Intune).
        if (candidates.Count > 0)
        {
            var wantedElsewhere = new HashSet<(long, int, string)>();
            var candidateKeys = candidates.Select(x => (x.AssetKey, x.TargetKind, x.Target!)).ToHashSet();
            var assetList = string.Join(",", candidates.Select(x => x.AssetKey).Distinct());
            // Restricted: every candidate is a changed target, and its members are looked at, so their wanted rows say it all.
            using (var command = c.Command(t, $"SELECT w.asset_key, w.kind, w.target FROM ({WantedSql(restricted)}) w WHERE w.asset_key IN ({assetList}) AND w.target IS NOT NULL", k, ("$only", null)))
            using (var reader = command.ExecuteReader())
                while (reader.Read())
                {
                    var key = (reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2));
                    if (candidateKeys.Contains(key)) wantedElsewhere.Add(key);
                }
            plan.Disassociations.AddRange(candidates.Where(x => !wantedElsewhere.Contains((x.AssetKey, x.TargetKind, x.Target!))));
        }
        // Never more than owned: per asset, the available licenses (plus those this plan frees) in a stable order.
        var freed = plan.Disassociations.GroupBy(d => d.AssetKey).ToDictionary(g => g.Key, g => g.Count());
        foreach (var group in associations.GroupBy(a => a.AssetKey))
        {
            var asset = assets[group.Key];
            var reserved = inFlight?.Reserved.GetValueOrDefault((asset.AdamId, asset.PricingParam)) ?? 0;
            var available = asset.Unlimited ? long.MaxValue : Math.Max(0, asset.Available - reserved) + freed.GetValueOrDefault(group.Key);
            var items = group.ToList();
            if (items.Count > available)
                plan.Shortages[(asset.AdamId, asset.PricingParam)] = (asset.Name, items.Count, available);
            plan.Associations.AddRange(items.Take((int)Math.Min(available, items.Count)));
            plan.Waiting.AddRange(items.Skip((int)Math.Min(available, items.Count))
                .Select(w => w with { Reason = w.Reason + $"; waiting for a license ({items.Count - available} short)" }));
        }

        // Subscription seats (users only; a whole plan each time: seats are few).
        if (onlyAsset is null) SeatPlanner.Plan(c, t, tokenKey, plan, inFlight);

        PlanVppUsers(c, t, tokenKey, plan);

        using (var command = c.Command(t, """
            SELECT mu.client_user_id, u.user_principal_name FROM managed_users mu JOIN directory_users u ON u.id = mu.directory_user_id
            WHERE mu.token_key = $k AND mu.retired_at IS NULL AND mu.adopted_at IS NULL AND u.removed_at IS NOT NULL ORDER BY u.user_principal_name
            """, k))
        using (var reader = command.ExecuteReader())
            while (reader.Read())
                if (inFlight is null || !inFlight.UsersBeingRetired.Contains(reader.GetString(0)))
                    plan.UsersToRetire.Add(new VppUserToRetire(reader.GetString(0), reader.GetString(1)));
        // Retiring a VPP user releases its subscription seats at once (spec 2.10.4): said before it is done.
        if (plan.UsersToRetire.Count > 0)
        {
            var seats = Subscriptions.SubscriptionStore.SeatsReleasedByRetiring(c, t, tokenKey, null).ToLookup(s => s.ClientUserId, s => s.Subscription);
            for (var i = 0; i < plan.UsersToRetire.Count; i++)
                if (seats[plan.UsersToRetire[i].ClientUserId].ToList() is { Count: > 0 } held)
                    plan.UsersToRetire[i] = plan.UsersToRetire[i] with { SeatsReleased = held };
        }
        return plan;
    }

    /// <summary>
    /// The plan's VPP users to create, or to adopt (the location's active VPP user with the person's
    /// address, linked instead of created): only for those the plan gives a license or a seat now.
    /// </summary>
    internal static void PlanVppUsers(DbConnection c, DbTransaction? t, long tokenKey, AssignmentPlan plan)
    {
        var creating = plan.Associations.Where(a => a.Target is null && a.UserKey is not null).Select(a => a.UserKey!.Value)
            .Concat(plan.SeatAssociations.Where(a => a.ClientUserId is null && a.UserKey is not null).Select(a => a.UserKey!.Value)).ToHashSet();
        if (creating.Count > 0)
        {
            var existing = AdoptableUsers(c, t, tokenKey);
            var adopted = new HashSet<string>(StringComparer.Ordinal);
            using var command = c.Command(t, "SELECT user_key, id, user_principal_name, mail, managed_apple_id FROM directory_users WHERE removed_at IS NULL");
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!creating.Contains(reader.GetInt64(0))) continue;
                var person = new VppUserToCreate(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetStringOrNull(4));
                // The location may know the person already (invited by hand, by another tool, or by an earlier
                // installation): that VPP user is adopted, so the person gets no second invitation or license.
                (string ClientUserId, string Email, string Status)? match = null;
                foreach (var address in new[] { person.Mail, person.UserPrincipalName, person.ManagedAppleId })
                    if (!string.IsNullOrEmpty(address) && existing.TryGetValue(address.ToLowerInvariant(), out var found) && !adopted.Contains(found.ClientUserId))
                    {
                        match = found;
                        break;
                    }
                if (match is { } user)
                {
                    adopted.Add(user.ClientUserId);
                    plan.UsersToAdopt.Add(new VppUserToAdopt(person.UserKey, person.DirectoryUserId, person.UserPrincipalName, user.ClientUserId, user.Email, user.Status));
                }
                else
                    plan.UsersToCreate.Add(person);
            }
        }
    }

    /// <summary>
    /// Something other than group membership changed for the token: its next plan looks at
    /// everything. needs_full_plan counts the requests (0: none), so that a plan carried out
    /// meanwhile clears only the requests it saw (see <see cref="RecordPlanned"/>). plan_state
    /// is owned here; a token without a row has never been planned, and its first plan is full.
    /// </summary>
    public static void RequestFullPlan(DbConnection c, DbTransaction t, long tokenKey) =>
        c.Execute(t, "INSERT INTO plan_state (token_key, needs_full_plan) VALUES ($k, 1) ON CONFLICT (token_key) DO UPDATE SET needs_full_plan = plan_state.needs_full_plan + 1",
            ("$k", tokenKey));

    /// <summary>
    /// After a plan was carried out: the member changes it covered are done; a full plan is needed
    /// again if some of it could not be, or if a full plan was asked for after the plan was read
    /// (<paramref name="fullPlanRequests"/>, <see cref="AssignmentPlan.FullPlanRequests"/>: for
    /// instance an assignment saved by another process while this one applied its plan).
    /// </summary>
    public static void RecordPlanned(DbConnection c, DbTransaction t, long tokenKey, long plannedSeq, bool complete, long fullPlanRequests)
    {
        // A token planned for the first time gets its row (its plan was a full one: no row asks for it).
        c.Execute(t, """
            INSERT INTO plan_state (token_key, planned_seq, needs_full_plan) VALUES ($k, $seq, CASE WHEN $complete THEN 0 ELSE 1 END)
            ON CONFLICT (token_key) DO UPDATE SET planned_seq = CASE WHEN plan_state.planned_seq > $seq THEN plan_state.planned_seq ELSE $seq END,
                needs_full_plan = CASE WHEN NOT $complete THEN plan_state.needs_full_plan + 1 WHEN plan_state.needs_full_plan = $seen THEN 0 ELSE plan_state.needs_full_plan END
            """, ("$seq", plannedSeq), ("$complete", complete), ("$seen", fullPlanRequests), ("$k", tokenKey));
        // The log is kept only as far back as the token that planned least recently needs it (a
        // token never planned plans in full first, so it needs none of it).
        c.Execute(t, "DELETE FROM member_changes WHERE seq <= (SELECT min(planned_seq) FROM plan_state)");
    }

    private static void ClearChangedMembers(DbConnection c, DbTransaction? t) => c.Execute(t, """
        CREATE TEMP TABLE IF NOT EXISTS changed_devices (device_key BIGINT PRIMARY KEY);
        CREATE TEMP TABLE IF NOT EXISTS changed_users (user_key BIGINT PRIMARY KEY);
        CREATE TEMP TABLE IF NOT EXISTS changed_targets (target_kind BIGINT, target TEXT, PRIMARY KEY (target_kind, target));
        DELETE FROM changed_devices; DELETE FROM changed_users; DELETE FROM changed_targets;
        """);

    /// <summary>The members who joined or left a group since the token's last plan.</summary>
    private static void CollectChangedMembers(DbConnection c, DbTransaction? t, long lastSeq, (string, object?) k)
    {
        var since = ("$since", (object?)Convert.ToInt64(c.Scalar(t, "SELECT planned_seq FROM plan_state WHERE token_key = $k", k) ?? 0L));
        c.Execute(t, """
            INSERT INTO changed_devices SELECT mc.member_key FROM member_changes mc JOIN directory_groups g ON g.group_key = mc.group_key AND g.kind = 'Device'
            WHERE mc.seq > $since AND mc.seq <= $last ON CONFLICT DO NOTHING;
            INSERT INTO changed_users SELECT mc.member_key FROM member_changes mc JOIN directory_groups g ON g.group_key = mc.group_key AND g.kind = 'User'
            WHERE mc.seq > $since AND mc.seq <= $last ON CONFLICT DO NOTHING;
            """, since, ("$last", lastSeq));
    }

    /// <summary>
    /// Both ways between the members and the targets a plan looks at: the targets of its members
    /// (their devices, their VPP users), then every member who can want one of those targets
    /// (the device, its owner, the VPP user's person), so that a license is reclaimed only when
    /// nobody wants it.
    /// </summary>
    private static void CompleteChangedMembers(DbConnection c, DbTransaction? t, long tokenKey) => c.Execute(t, """
        INSERT INTO changed_targets SELECT 1, d.serial_number FROM changed_devices cd JOIN directory_devices d ON d.device_key = cd.device_key WHERE true ON CONFLICT DO NOTHING;
        INSERT INTO changed_targets SELECT 1, d.serial_number FROM changed_users cu JOIN directory_users u ON u.user_key = cu.user_key
            JOIN directory_devices d ON d.owner_upn = u.user_principal_name WHERE true ON CONFLICT DO NOTHING;
        INSERT INTO changed_targets SELECT 0, mu.client_user_id FROM changed_users cu JOIN directory_users u ON u.user_key = cu.user_key
            JOIN managed_users mu ON mu.token_key = $k AND mu.directory_user_id = u.id WHERE true ON CONFLICT DO NOTHING;
        INSERT INTO changed_devices SELECT d.device_key FROM changed_targets ct JOIN directory_devices d ON d.serial_number = ct.target
            WHERE ct.target_kind = 1 ON CONFLICT DO NOTHING;
        INSERT INTO changed_users SELECT u.user_key FROM changed_targets ct JOIN directory_devices d ON d.serial_number = ct.target
            JOIN directory_users u ON u.user_principal_name = d.owner_upn WHERE ct.target_kind = 1 ON CONFLICT DO NOTHING;
        INSERT INTO changed_users SELECT u.user_key FROM changed_targets ct JOIN managed_users mu ON mu.token_key = $k AND mu.client_user_id = ct.target
            JOIN directory_users u ON u.id = mu.directory_user_id WHERE ct.target_kind = 0 ON CONFLICT DO NOTHING;
        """, ("$k", tokenKey));

    /// <summary>
    /// The location's active VPP users (Associated first, then Registered) that no person is linked
    /// to yet, by lower-case e-mail address.
    /// </summary>
    private static Dictionary<string, (string ClientUserId, string Email, string Status)> AdoptableUsers(DbConnection c, DbTransaction? t, long tokenKey)
    {
        var users = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        using var command = c.Command(t, """
            SELECT vu.client_user_id, vu.email, vu.status FROM vpp_users vu
            WHERE vu.token_key = $k AND vu.email IS NOT NULL AND vu.status IN ('Associated', 'Registered')
              AND NOT EXISTS (SELECT 1 FROM managed_users mu WHERE mu.token_key = vu.token_key AND mu.client_user_id = vu.client_user_id AND mu.retired_at IS NULL)
            ORDER BY CASE WHEN vu.status = 'Associated' THEN 0 ELSE 1 END, vu.client_user_id
            """, ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        while (reader.Read())
            users.TryAdd(reader.GetString(1).ToLowerInvariant(), (reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return users;
    }

    private sealed record AssetRow(string AdamId, string PricingParam, string? Name, long Available, bool Unlimited);

    private static Dictionary<long, AssetRow> ReadAssets(DbConnection c, DbTransaction? t, long tokenKey)
    {
        using var command = c.Command(t, """
            SELECT a.asset_key, a.adam_id, a.pricing_param, m.name, a.available_count, a.total_count
            FROM assets a LEFT JOIN asset_metadata m ON m.adam_id = a.adam_id WHERE a.token_key = $k
            """, ("$k", tokenKey));
        using var reader = command.ExecuteReader();
        var assets = new Dictionary<long, AssetRow>();
        while (reader.Read())
            assets[reader.GetInt64(0)] = new AssetRow(reader.GetString(1), reader.GetString(2), reader.GetStringOrNull(3), reader.GetInt64(4),
                reader.GetInt64(5) >= Apple.Wire.ResponseAsset.UnlimitedCount);
        return assets;
    }
}
