using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine;
using VppPS.Engine.Tokens;
using VppPS.Infrastructure;

namespace VppPS.Tokens;

/// <summary>Tab completion of token names, quoted when they hold spaces.</summary>
public sealed class TokenNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<VppToken> tokens;
        try { tokens = new TokenService(Completion.Context()).List(); }
        catch (VppException) { yield break; }
        var prefix = Completion.Prefix(wordToComplete);
        var pattern = new WildcardPattern(WildcardPattern.Escape(prefix) + "*", WildcardOptions.IgnoreCase);
        var asPattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        foreach (var token in tokens.Where(t => pattern.IsMatch(t.Name) || asPattern.IsMatch(t.Name)))
            yield return Completion.Result(token.Name, $"{token.OrganizationName} / {token.LocationName} ({token.State})");
    }
}
