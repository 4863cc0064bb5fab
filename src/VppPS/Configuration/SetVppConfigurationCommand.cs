using System.Globalization;
using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Configuration;
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

    /// <summary>Settings to put back to their defaults (DataFolder included).</summary>
    [Parameter]
    [ValidateSet("ServiceUrl", "TokenCap", "SyncIntervalHours", "StatusPollIntervalSeconds", "MetadataServiceUrl", "LeaseMinutes", "DataFolder")]
    public string[]? Reset { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

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
            else changes[name] = null;
        }

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
        if (PassThru && TryRun(c => VppSession.Current().Configuration, out var configuration))
            WriteObject(configuration);
    }
}
