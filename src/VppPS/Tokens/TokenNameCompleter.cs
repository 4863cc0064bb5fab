using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine;
using VppPS.Engine.Tokens;

namespace VppPS.Tokens;

/// <summary>Tab completion of token names, quoted when they hold spaces.</summary>
public sealed class TokenNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<VppToken> tokens;
        try { tokens = new TokenService(new VppContext(VppSession.Current(), "completion", NullObserver.Instance)).List(); }
        catch (VppException) { yield break; }
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        foreach (var token in tokens.Where(t => pattern.IsMatch(t.Name)))
        {
            var text = token.Name.Contains(' ') || token.Name.Contains('\'') ? "'" + token.Name.Replace("'", "''") + "'" : token.Name;
            yield return new CompletionResult(text, token.Name, CompletionResultType.ParameterValue, $"{token.OrganizationName} / {token.LocationName} ({token.State})");
        }
    }
}
