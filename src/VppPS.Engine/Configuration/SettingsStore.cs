using System.Globalization;
using VppPS.Engine.Store;

namespace VppPS.Engine.Configuration;

/// <summary>
/// Reads and writes settings. Precedence, highest first: an override the caller passes in (the
/// PowerShell session's own, for example the URL of a simulator started in it; never saved), the
/// setting's environment variable (runbooks), the value saved in the state database, the default.
/// </summary>
public sealed class SettingsStore
{
    private readonly StateStore _store;

    public SettingsStore(StateStore store) => _store = store;

    /// <param name="overrides">Settings by name that win over every other source (shown with the source Session); null for none.</param>
    public VppConfiguration Current(string dataFolderSource, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var saved = _store.Read(c =>
        {
            using var command = c.Command(null, "SELECT name, value FROM settings");
            using var reader = command.ExecuteReader();
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (reader.Read()) values[reader.GetString(0)] = reader.GetString(1);
            return values;
        });
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Store"] = dataFolderSource };
        if (_store.Kind == StoreKind.Sqlite) sources["DataFolder"] = dataFolderSource;
        string Value(SettingDefinition d)
        {
            if (overrides is not null && overrides.TryGetValue(d.Name, out var session)) { sources[d.Name] = "Session"; return session; }
            var fromEnv = Environment.GetEnvironmentVariable(d.EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnv))
            {
                if (d.Validate(fromEnv) is { } problem)
                    throw new VppException(VppErrorKind.InvalidArgument, "VppBadEnvironmentSetting",
                        $"The environment variable {d.EnvironmentVariable} is not valid for {d.Name}: {problem} Fix or remove it.", d.EnvironmentVariable);
                sources[d.Name] = "Environment";
                return fromEnv.Trim();
            }
            if (saved.TryGetValue(d.Name, out var stored)) { sources[d.Name] = "Database"; return stored; }
            sources[d.Name] = "Default";
            return d.DefaultValue;
        }

        return new VppConfiguration
        {
            ServiceUrl = Value(SettingsCatalog.ServiceUrl).TrimEnd('/'),
            TokenCap = int.Parse(Value(SettingsCatalog.TokenCap), CultureInfo.InvariantCulture),
            SyncIntervalHours = int.Parse(Value(SettingsCatalog.SyncIntervalHours), CultureInfo.InvariantCulture),
            StatusPollIntervalSeconds = double.Parse(Value(SettingsCatalog.StatusPollIntervalSeconds), CultureInfo.InvariantCulture),
            MetadataServiceUrl = Value(SettingsCatalog.MetadataServiceUrl).TrimEnd('/'),
            LeaseMinutes = int.Parse(Value(SettingsCatalog.LeaseMinutes), CultureInfo.InvariantCulture),
            Store = _store.Location.ToString(),
            DataFolder = _store.Folder,
            DatabasePath = _store.DatabasePath,
            Sources = sources,
        };
    }

    /// <summary>Saves settings (null value: back to the default) and journals the change, in one transaction.</summary>
    public void Save(IReadOnlyDictionary<string, string?> changes, AuditJournal journal)
    {
        foreach (var (name, value) in changes)
        {
            var definition = SettingsCatalog.Find(name);
            if (value is not null && definition.Validate(value) is { } problem)
                throw new VppException(VppErrorKind.InvalidArgument, "VppBadSetting", $"{definition.Name}: {problem}", name);
        }
        _store.Write((c, t) =>
        {
            foreach (var (name, value) in changes)
            {
                var definition = SettingsCatalog.Find(name);
                if (value is null)
                    SettingRows.Delete(c, t, definition.Name);
                else
                    SettingRows.Save(c, t, definition.Name, value);
                journal.Write(c, t, "setting:" + definition.Name, value is null ? "Reset" : "Set",
                    value is null ? $"{definition.Name} reset to its default ({definition.DefaultValue})" : $"{definition.Name} set to {value}");
            }
        });
    }
}
