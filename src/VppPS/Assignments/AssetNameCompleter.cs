using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine.Inventory;
using VppPS.Infrastructure;

namespace VppPS.Assignments;

/// <summary>
/// Tab completion of app and book names (only apps for Get-VppLicensedApp, only books for
/// Get-VppLicensedBook), under the token given with -Token when there is one; quoted when they hold spaces.
/// </summary>
public sealed class AssetNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var productType = commandName.EndsWith("LicensedApp", StringComparison.OrdinalIgnoreCase) ? "App"
            : commandName.EndsWith("LicensedBook", StringComparison.OrdinalIgnoreCase) ? "Book" : null;
        var token = Completion.BoundString(fakeBoundParameters, "Token");
        return Completion.Results(() => new InventoryQueries(Completion.Context().Store).AssetNames(productType, Completion.Prefix(wordToComplete), token, Completion.Limit));
    }
}
