using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Security;
using VppPS.Engine;
using VppPS.Engine.Configuration;
using VppPS.Engine.Store;
using VppPS.Infrastructure;

namespace VppPS.Configuration;

[Cmdlet(VerbsCommon.Set, "VppConfiguration", SupportsShouldProcess = true)]
[OutputType(typeof(VppConfiguration))]
public sealed class SetVppConfigurationCommand : VppCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ServiceUrl { get; set; }

    [Parameter]
    [ValidateRange(1, 100_000)]
    public int TokenCap { get; set; }

    [Parameter]
    [ValidateRange(1, 168)]
    public int SyncIntervalHours { get; set; }

    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double StatusPollIntervalSeconds { get; set; }

    /// <summary>Minutes a token's lease lasts without a heartbeat; a run that stopped renewing it is taken over after this.</summary>
    [Parameter]
    [ValidateRange(1, 60)]
    public int LeaseMinutes { get; set; }

    /// <summary>Base URL of the metadata API; empty for Apple's default per account type.</summary>
    [Parameter]
    [AllowEmptyString]
    public string? MetadataServiceUrl { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DataFolder { get; set; }

    /// <summary>A PostgreSQL store (URI or connection string) saved for this user, its password encrypted.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Store { get; set; }

    /// <summary>The team's store key saved with -Store (else VPPPS_STORE_KEY is read when the store is opened).</summary>
    [Parameter]
    public SecureString? StoreKey { get; set; }

    /// <summary>Settings to put back to their defaults (DataFolder and Store included).</summary>
    [Parameter]
    [ValidateSet("ServiceUrl", "TokenCap", "SyncIntervalHours", "StatusPollIntervalSeconds", "MetadataServiceUrl", "LeaseMinutes", "DataFolder", "Store")]
    public string[]? Reset { get; set; }

    private bool ResetsStore => Reset?.Contains("Store", StringComparer.OrdinalIgnoreCase) == true;

    /// <summary>Saving or forgetting a store changes only this user's configuration file, so a read-only login may do it.</summary>
    protected override bool ChangesState =>
        MyInvocation.BoundParameters.Keys.Any(k => k is nameof(ServiceUrl) or nameof(TokenCap) or nameof(SyncIntervalHours)
            or nameof(StatusPollIntervalSeconds) or nameof(LeaseMinutes) or nameof(MetadataServiceUrl) or nameof(DataFolder))
        || Reset?.Any(r => !r.Equals("Store", StringComparison.OrdinalIgnoreCase)) == true;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>
    /// Opens the store first (it must be reachable, the login valid and the key the store's), so a
    /// typing mistake never leaves every later command failing; then saves it for this user.
    /// </summary>
    private void SaveStore()
    {
        var key = StoreKey is null ? null : new NetworkCredential(string.Empty, StoreKey).Password;
        if (!TryRunEngine(_ => StoreLocation.ForPostgres(Store!), out var location)) return;
        if (!ShouldProcess(location.ToString(), "Save as this user's VppPS store")) return;
        if (!TryRunEngine(_ => VppSession.Current(StoreChoice.ForPostgres(Store!, key, "Configuration")).InstallationId, out _)) return;
        if (!TryRunEngine(_ => SavedStore.Save(Store!, key), out _)) return;
        WriteVerbose($"VppPS now keeps its state in {location}.");
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(StoreChoice.Variable)))
            WriteWarning($"The {StoreChoice.Variable} environment variable is set and wins over the saved store in this process.");
    }

    protected override void EndProcessing()
    {
        var changes = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (ServiceUrl is not null) changes[SettingsCatalog.ServiceUrl.Name] = ServiceUrl.TrimEnd('/');
        if (MetadataServiceUrl is not null) changes[SettingsCatalog.MetadataServiceUrl.Name] = MetadataServiceUrl.TrimEnd('/');
        if (MyInvocation.BoundParameters.ContainsKey(nameof(TokenCap))) changes[SettingsCatalog.TokenCap.Name] = TokenCap.ToString(CultureInfo.InvariantCulture);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(SyncIntervalHours))) changes[SettingsCatalog.SyncIntervalHours.Name] = SyncIntervalHours.ToString(CultureInfo.InvariantCulture);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(StatusPollIntervalSeconds))) changes[SettingsCatalog.StatusPollIntervalSeconds.Name] = StatusPollIntervalSeconds.ToString(CultureInfo.InvariantCulture);
        if (MyInvocation.BoundParameters.ContainsKey(nameof(LeaseMinutes))) changes[SettingsCatalog.LeaseMinutes.Name] = LeaseMinutes.ToString(CultureInfo.InvariantCulture);
        var resetFolder = false;
        foreach (var name in Reset ?? [])
        {
            if (name.Equals("DataFolder", StringComparison.OrdinalIgnoreCase)) resetFolder = true;
            else if (!name.Equals("Store", StringComparison.OrdinalIgnoreCase)) changes[name] = null;
        }
        if (StoreKey is not null && Store is null)
            ThrowVppError(VppErrorKind.InvalidArgument, "VppStoreKeyWithoutStore",
                "-StoreKey is saved with the store it belongs to: give -Store too (Set-VppConfiguration -Store <connection> -StoreKey <key>).");
        if (Store is not null && ResetsStore)
            ThrowVppError(VppErrorKind.InvalidArgument, "VppStoreAndReset", "Give either -Store or -Reset Store, not both.");
        if (Store is not null) SaveStore();
        if (ResetsStore && ShouldProcess("VppPS configuration", "Forget the saved store and use the local data folder again"))
            if (TryRunEngine(_ => { SavedStore.Clear(); return true; }, out _))
                WriteVerbose("VppPS keeps its state in the local data folder again (unless VPPPS_STORE or Connect-VppStore say otherwise).");

        if (changes.Count > 0)
        {
            var description = string.Join(", ", changes.Select(kv => kv.Value is null ? $"{kv.Key} to its default" : $"{kv.Key} to {kv.Value}"));
            if (ShouldProcess("VppPS configuration", $"Set {description}"))
                TryRun(c => c.Session.Settings.Save(changes, c.Journal));
        }
        if (DataFolder is not null || resetFolder)
        {
            var target = resetFolder ? null : DataFolder;
            if (ShouldProcess(target ?? "the default data folder", "Move VppPS's state (database and key file) to"))
                if (TryRun(c => DataFolderMover.Move(c, target), out var folder))
                    WriteVerbose($"VppPS now keeps its state in {folder}.");
        }
        if (PassThru && TryRun(c => c.Configuration, out var configuration))
            WriteObject(configuration);
    }
}
