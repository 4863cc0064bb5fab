namespace VppPS.Engine;

/// <summary>A name offered by tab completion, with a line that says what it is.</summary>
public sealed record NameSuggestion(string Name, string Detail)
{
    /// <summary>
    /// SQL that keeps the rows whose <paramref name="column"/> starts with the text in
    /// <paramref name="parameter"/> or matches it as a wildcard pattern followed by *, case aside
    /// (a typed prefix such as "Lincoln [M" is taken literally; "*Cart" finds "RHS Cart A").
    /// </summary>
    public static string StartsWith(string column, string parameter) =>
        $"(substr(lower({column}), 1, length({parameter})) = lower({parameter}) OR glob(lower({parameter}) || '*', lower({column})))";
}
