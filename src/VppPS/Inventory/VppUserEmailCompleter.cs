using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine.Inventory;
using VppPS.Infrastructure;

namespace VppPS.Inventory;

/// <summary>Tab completion of the e-mail addresses of VPP users, under the token given with -Token when there is one.</summary>
public sealed class VppUserEmailCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var token = Completion.BoundString(fakeBoundParameters, "Token");
        return Completion.Results(() => new InventoryQueries(Completion.Context().Store).VppUserEmails(Completion.Prefix(wordToComplete), token, Completion.Limit));
    }
}
