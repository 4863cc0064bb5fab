namespace VppPS.Engine.Tokens;

public enum HealthSeverity { Information, Warning, Error }

/// <summary>One finding of Test-VppToken about one token.</summary>
public sealed record TokenHealth(string TokenName, Guid TokenId, HealthSeverity Severity, string Check, string Message);
