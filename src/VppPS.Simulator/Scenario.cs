using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace VppPS.Simulator;

/// <summary>The seed of a simulator run. See docs/simulator.md for every field.</summary>
public sealed class SimulatorScenario
{
    /// <summary>Records per page on every paged endpoint (Apple: "several hundred"; default 1000).</summary>
    public int PageSize { get; set; } = 1000;
    /// <summary>Overrides of service/config limits (e.g. maxRequestPerSecond).</summary>
    public Dictionary<string, int>? Limits { get; set; }
    /// <summary>Delay before an event leaves PENDING; 0 = complete before the write call returns.</summary>
    public int EventDelayMs { get; set; }
    /// <summary>HTTP status of the 9622 (unknown token) answer: 401 (default) or 200.</summary>
    public int InvalidTokenStatus { get; set; } = 401;
    /// <summary>"always" (default) or "within15Days": when tokenExpirationDate appears outside client/config.</summary>
    public string TokenExpirationDateMode { get; set; } = "always";
    /// <summary>Allow http:// notification URLs on loopback hosts (Apple requires HTTPS). Default true.</summary>
    public bool AllowHttpNotifications { get; set; } = true;
    /// <summary>Pause between the up-to-3 notification delivery attempts.</summary>
    public int NotificationRetryDelayMs { get; set; } = 100;
    /// <summary>Seed for tokens, uIds, versionIds, eventIds, invite codes.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Apple-like response latency on every /mdm/v2 answer (default none).</summary>
    public ScenarioLatency? Latency { get; set; }
    /// <summary>Developer keys the api.ent-style catalog accepts JWTs from.</summary>
    public List<ScenarioDeveloperKey>? DeveloperKeys { get; set; }
    public List<ScenarioLocation> Locations { get; set; } = new();
    /// <summary>
    /// Store apps and books the metadata lookups know besides the locations' assets, such as the
    /// parent app of a subscription that no location holds. Asset fields; the license fields
    /// (pricingParam, totalCount, retiredCount, unlimited) are ignored; no custom B2B apps.
    /// </summary>
    public List<ScenarioAsset>? Catalog { get; set; }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public static SimulatorScenario Parse(string json) =>
        JsonSerializer.Deserialize<SimulatorScenario>(json, JsonOptions)
        ?? throw new InvalidDataException("The scenario is empty.");

    /// <summary>Loads a scenario file, or a built-in scenario by name ("Demo").</summary>
    public static SimulatorScenario Load(string fileOrBuiltInName)
    {
        if (string.Equals(fileOrBuiltInName, "Demo", StringComparison.OrdinalIgnoreCase) && !File.Exists(fileOrBuiltInName))
            return Parse(BuiltInJson("Demo"));
        return Parse(File.ReadAllText(fileOrBuiltInName));
    }

    /// <summary>The JSON text of a built-in scenario.</summary>
    public static string BuiltInJson(string name)
    {
        var asm = typeof(SimulatorScenario).Assembly;
        using var s = asm.GetManifestResourceStream($"VppPS.Simulator.Scenarios.{name}.json")
            ?? throw new FileNotFoundException($"No built-in scenario '{name}'.");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}

public sealed class ScenarioDeveloperKey
{
    public string TeamId { get; set; } = "";
    public string KeyId { get; set; } = "";
    public string PublicKeyPem { get; set; } = "";
}

public sealed class ScenarioLocation
{
    public string OrgName { get; set; } = "ORG";
    public string LocationName { get; set; } = "Location";
    /// <summary>Numeric text; derived from the seed when omitted.</summary>
    public string? UId { get; set; }
    public string CountryISO2ACode { get; set; } = "US";
    public string DefaultPlatform { get; set; } = "volumestore";
    public string WebsiteURL { get; set; } = "https://business.apple.com";
    /// <summary>Token expiry; default one year after the simulator's start.</summary>
    public DateTimeOffset? TokenExpiresAt { get; set; }
    /// <summary>Alternative to tokenExpiresAt: expiry this many days after the simulator's start (may be negative).</summary>
    public double? TokenExpiresInDays { get; set; }
    /// <summary>Inner opaque `token` value of the .vpptoken; derived from the seed when omitted.</summary>
    public string? Token { get; set; }
    public bool Revoked { get; set; }
    public ScenarioMdmInfo? MdmInfo { get; set; }
    public string? NotificationUrl { get; set; }
    public string? NotificationAuthToken { get; set; }
    public List<string>? NotificationTypes { get; set; }
    public List<ScenarioAsset> Assets { get; set; } = new();
    public List<ScenarioUser> Users { get; set; } = new();
    public List<ScenarioAssignment> Assignments { get; set; } = new();
    public ScenarioGenerate? Generate { get; set; }
    /// <summary>The subscription management declaration the location starts with: true, false, or null (unstated).</summary>
    public bool? SubscriptionManagement { get; set; }
    public List<ScenarioSubscription> Subscriptions { get; set; } = new();
    public List<ScenarioSubscriptionAssignment> SubscriptionAssignments { get; set; } = new();
    public List<ScenarioSubscriptionAdmin> SubscriptionAdmins { get; set; } = new();
}

/// <summary>A subscription the organizational unit owns (seats by license state).</summary>
public sealed class ScenarioSubscription
{
    /// <summary>Required; an integer unique in the location and unlike any asset adamId.</summary>
    public long AdamId { get; set; }
    /// <summary>The parent app; null gives "parentAdamId": null in answers.</summary>
    public long? ParentAdamId { get; set; }
    /// <summary>For people reading the scenario; no Apple field carries it.</summary>
    public string? Name { get; set; }
    /// <summary>ACTIVE (default), INACTIVE or PAUSED.</summary>
    public string Status { get; set; } = "ACTIVE";
    /// <summary>End of the current billing period, YYYY-MM-DD.</summary>
    public string? PeriodEndDate { get; set; }
    /// <summary>Alternative to periodEndDate: days after the simulator's start (default 30).</summary>
    public double? PeriodEndsInDays { get; set; }
    /// <summary>How far periodEndDate moves at each period end (default 365).</summary>
    public int BillingPeriodDays { get; set; } = 365;
    /// <summary>Seats owned by license state; absent = none (a zero-count entry).</summary>
    public ScenarioSeats? Total { get; set; }
}

public sealed class ScenarioSeats
{
    public int Renewing { get; set; }
    public int Expiring { get; set; }
}

public sealed class ScenarioSubscriptionAssignment
{
    public long AdamId { get; set; }
    public string ClientUserId { get; set; } = "";
    /// <summary>Default true; false = the seat lapses at the period end.</summary>
    public bool Renewing { get; set; } = true;
    /// <summary>The seat comes from group membership in Apple School Manager or Apple Business; API changes to it answer 9817.</summary>
    public bool ViaGroup { get; set; }
}

public sealed class ScenarioSubscriptionAdmin
{
    public long AdamId { get; set; }
    public string ClientUserId { get; set; } = "";
}

/// <summary>Delay before each /mdm/v2 answer: fixedMs, or a uniform random delay in [minMs, maxMs] drawn from seed.</summary>
public sealed class ScenarioLatency
{
    public int? FixedMs { get; set; }
    public int? MinMs { get; set; }
    public int? MaxMs { get; set; }
    public int Seed { get; set; } = 1;
}

public sealed class ScenarioMdmInfo
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Metadata { get; set; } = "";
}

public sealed class ScenarioAsset
{
    public string AdamId { get; set; } = "";
    public string? Name { get; set; }
    public string? BundleId { get; set; }
    /// <summary>App or Book.</summary>
    public string ProductType { get; set; } = "App";
    /// <summary>STDQ or PLUS.</summary>
    public string PricingParam { get; set; } = "STDQ";
    /// <summary>Licenses owned; default assigned + retired (none available). Ignored when unlimited.</summary>
    public int? TotalCount { get; set; }
    public int RetiredCount { get; set; }
    /// <summary>Default true for apps; always false for books.</summary>
    public bool? DeviceAssignable { get; set; }
    /// <summary>Default true for apps; always false for books.</summary>
    public bool? Revocable { get; set; }
    public List<string>? SupportedPlatforms { get; set; }
    public bool IsB2BCustomApp { get; set; }
    /// <summary>A free/unlimited asset (totalCount 2147483647; listed in unlimitedAssets when unlimited=true).</summary>
    public bool Unlimited { get; set; }
    public string? ArtistName { get; set; }
    public string? Version { get; set; }
    public string? MinimumOSVersion { get; set; }
    public List<string>? Genres { get; set; }
}

public sealed class ScenarioUser
{
    public string ClientUserId { get; set; } = "";
    public string? Email { get; set; }
    /// <summary>Registered (default), Associated or Retired.</summary>
    public string Status { get; set; } = "Registered";
    public string? ManagedAppleId { get; set; }
    public string? IdHash { get; set; }
    public string? InviteCode { get; set; }
}

public sealed class ScenarioAssignment
{
    public string AdamId { get; set; } = "";
    public string PricingParam { get; set; } = "STDQ";
    public string? ClientUserId { get; set; }
    public string? SerialNumber { get; set; }
}

public sealed class ScenarioGenerate
{
    public int Assets { get; set; }
    public int Users { get; set; }
    public int Assignments { get; set; }
    public int Seed { get; set; } = 42;
}
