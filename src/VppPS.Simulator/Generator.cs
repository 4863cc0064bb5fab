namespace VppPS.Simulator;

/// <summary>
/// Builds large synthetic locations from <c>generate</c>: the same counts and seed always give
/// the same data. Assets are cheap objects, users are rows, assignments are 16-byte structs.
/// </summary>
internal static class Generator
{
    private static readonly string[] Words =
    [
        "Math", "Reading", "Science", "Atlas", "Notes", "Draw", "Code", "Music", "Chess", "Spell",
        "Quiz", "Story", "Globe", "Lab", "Piano", "Paint", "Focus", "Planner", "Scan", "Words",
    ];

    public static void Populate(SimLocation loc, ScenarioGenerate g)
    {
        var rng = new Random(g.Seed);
        int nAssets = Math.Max(1, g.Assets);
        var assetStart = loc.Assets.Count;
        for (int i = 0; i < nAssets; i++)
        {
            bool book = i % 10 == 9;
            bool deviceAssignable = !book && i % 7 != 3;
            var name = $"{Words[i % Words.Length]} {Words[(i / Words.Length) % Words.Length]} {i}";
            loc.AddAsset(new AssetRow
            {
                AdamId = (1_100_000_000L + i * 7919L).ToString(),
                PricingParam = i % 13 == 5 ? "PLUS" : "STDQ",
                ProductType = book ? "Book" : "App",
                DeviceAssignable = deviceAssignable,
                Revocable = !book,
                SupportedPlatforms = book ? ["iOS", "macOS"] : (i % 5 == 0 ? ["iOS", "macOS"] : ["iOS"]),
                Name = name,
                BundleId = book ? null : $"com.example.generated.app{i}",
                ArtistName = $"Generated Developer {i % 37}",
                Version = $"{1 + i % 5}.{i % 10}",
                Genres = book ? ["Books"] : ["Education"],
            });
        }

        // users: 2% Registered, ~1% Retired, the rest Associated
        var active = new List<int>(g.Users);
        for (int i = 0; i < g.Users; i++)
        {
            var status = i % 50 == 7 ? UserStatus.Registered : i % 97 == 11 ? UserStatus.Retired : UserStatus.Associated;
            var u = loc.AddUser(new UserRow
            {
                ClientUserId = $"gen-user-{i:D7}",
                Email = $"user{i:D7}@students.example.edu",
                Status = status,
                Version = loc.VersionSeq,
            });
            if (status == UserStatus.Registered) u.InviteCode = RandomHex(rng, 16);
            else u.IdHash = RandomHex(rng, 20);
            if (u.IsActive) active.Add(u.Cuid);
        }

        long nAssignments = g.Assignments;
        var deviceAssets = new List<int>();
        for (int i = 0; i < nAssets; i++) if (loc.Assets[assetStart + i].DeviceAssignable) deviceAssets.Add(assetStart + i);

        long userAssignments = active.Count == 0 ? 0 : deviceAssets.Count == 0 ? nAssignments : nAssignments * 6 / 10;
        userAssignments = Math.Min(userAssignments, (long)active.Count * nAssets);
        long deviceAssignments = nAssignments - userAssignments;
        int nDevices = deviceAssignments == 0 ? 0 : (int)Math.Max(1, (deviceAssignments + 1) / 2);
        if (deviceAssets.Count > 0) nDevices = (int)Math.Max(nDevices, (deviceAssignments + deviceAssets.Count - 1) / deviceAssets.Count);
        int serialStart = loc.Serials.Count;
        for (int d = 0; d < nDevices; d++)
        {
            ulong h = ((ulong)(d + 1) * 0x9E3779B97F4A7C15UL) & ((1UL << 44) - 1);
            loc.SerialOf("F" + h.ToString("X11"), true);
        }

        if (loc.Rows.Length < loc.RowCount + nAssignments) Array.Resize(ref loc.Rows, (int)(loc.RowCount + nAssignments));
        // user u gets assets (start_u + j) mod nAssets, j = 0,1,2...: never the same pair twice
        var userStart = new int[active.Count];
        for (int k = 0; k < userStart.Length; k++) userStart[k] = rng.Next(nAssets);
        for (long t = 0; t < userAssignments; t++)
        {
            int k = (int)(t % active.Count);
            int j = (int)(t / active.Count);
            int asset = assetStart + (userStart[k] + j) % nAssets;
            loc.AppendRowUnchecked(asset, false, active[k], loc.VersionSeq);
            loc.Assets[asset].Assigned++;
        }
        for (long t = 0; t < deviceAssignments; t++)
        {
            int d = (int)(t % nDevices);
            int j = (int)(t / nDevices);
            int asset = deviceAssets[(d * 31 + j) % deviceAssets.Count];
            loc.AppendRowUnchecked(asset, true, serialStart + d, loc.VersionSeq);
            loc.Assets[asset].Assigned++;
        }

        for (int i = 0; i < nAssets; i++)
        {
            var a = loc.Assets[assetStart + i];
            a.Retired = i % 11 == 4 ? rng.Next(1, 4) : 0;
            a.Total = a.Assigned + a.Retired + rng.Next(0, 200);
        }
    }

    private static string RandomHex(Random rng, int bytes)
    {
        Span<byte> b = stackalloc byte[bytes];
        rng.NextBytes(b);
        return Convert.ToHexString(b).ToLowerInvariant();
    }
}
