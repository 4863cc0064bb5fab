using System.Collections;
using System.Management.Automation;
using VppPS.Engine;

namespace VppPS.Infrastructure;

/// <summary>What the argument completers share: the typed word, the engine context, and quoting.</summary>
internal static class Completion
{
    /// <summary>How many names a completer offers at most (a directory can hold 200,000 users).</summary>
    public const int Limit = 100;

    private static readonly char[] NeedsQuotes = [' ', '\t', '\'', '"', '$', '`', ',', ';', '(', ')', '{', '}', '|', '&', '<', '>'];

    /// <summary>The word as typed, without the quotes it was typed in.</summary>
    public static string Prefix(string wordToComplete) => wordToComplete.Trim('\'', '"');

    public static VppContext Context() => new(SessionStore.Current(System.Management.Automation.Runspaces.Runspace.DefaultRunspace), "completion", NullObserver.Instance);

    /// <summary>The name as it must be typed: in single quotes when it holds a space or a character PowerShell reads (or starts with @, # or -).</summary>
    public static string Quote(string name) =>
        name.IndexOfAny(NeedsQuotes) >= 0 || name.Length == 0 || name[0] is '@' or '#' or '-' ? "'" + name.Replace("'", "''") + "'" : name;

    public static CompletionResult Result(string name, string detail) =>
        new(Quote(name), name, CompletionResultType.ParameterValue, detail);

    /// <summary>The value of another parameter already on the command line (e.g. -Token), when it is a plain string.</summary>
    public static string? BoundString(IDictionary fakeBoundParameters, string name) =>
        fakeBoundParameters.Contains(name) ? fakeBoundParameters[name] switch
        {
            string s => s,
            object[] { Length: 1 } a => a[0]?.ToString(),
            _ => null,
        } : null;

    public static IEnumerable<CompletionResult> Results(Func<IReadOnlyList<NameSuggestion>> query)
    {
        IReadOnlyList<NameSuggestion> names;
        try { names = query(); }
        catch (VppException) { return []; }
        return names.Select(n => Result(n.Name, n.Detail)).ToList();
    }
}

/// <summary>
/// Tab completion of a name that is being made (New-VppGroup -Name, Add-VppToken -Name): there is
/// nothing to offer, and PowerShell offers file names where a parameter has no completer.
/// </summary>
public sealed class NewNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, IDictionary fakeBoundParameters) => [];
}
