using System.Text;

namespace VppPS.Engine.Apple.Wire;

/// <summary>Builds an escaped query string, leaving out unset filters; booleans as Apple's true/false.</summary>
internal sealed class QueryString
{
    private readonly List<KeyValuePair<string, string>> _pairs = [];

    public QueryString Add(string name, string? value)
    {
        if (value is not null)
            _pairs.Add(new(name, value));
        return this;
    }

    public QueryString Add(string name, bool? value) => Add(name, value is null ? null : value.Value ? "true" : "false");

    public QueryString Add(string name, int? value) => Add(name, value?.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>"?a=1&amp;b=2", or "" when empty.</summary>
    public override string ToString()
    {
        if (_pairs.Count == 0)
            return "";
        var sb = new StringBuilder();
        foreach (var (name, value) in _pairs)
            sb.Append(sb.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        return sb.ToString();
    }
}
