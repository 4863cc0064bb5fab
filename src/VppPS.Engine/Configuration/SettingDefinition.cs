namespace VppPS.Engine.Configuration;

/// <summary>One setting: its name, the environment variable that overrides it, its default, and its rule.</summary>
public sealed record SettingDefinition(string Name, string EnvironmentVariable, string DefaultValue, string Description, Func<string, string?> Validate);
