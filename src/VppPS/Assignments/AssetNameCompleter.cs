using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine.Inventory;
using VppPS.Infrastructure;

namespace VppPS.Assignments;

/// <summary>
/// Tab completion of app and book names (only apps for Get-VppLicensedApp, only books for
/// Get-VppLicensedBook), under the token given with -Token when there is one; quoted when they hold spaces.
/// The cmdlets that also take a subscription for -App are offered its adamId (and name) too.
/// </summary>
public sealed class AssetNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var productType = commandName.EndsWith("LicensedApp", StringComparison.OrdinalIgnoreCase) ? "App"
            : commandName.EndsWith("LicensedBook", StringComparison.OrdinalIgnoreCase) ? "Book" : null;
        var token = Completion.BoundString(fakeBoundParameters, "Token");
        var prefix = Completion.Prefix(wordToComplete);
        return Completion.Results(() =>
        {
            var context = Completion.Context();
            var names = new InventoryQueries(context.Store).AssetNames(productType, prefix, token, Completion.Limit);
            if (!TakesSubscriptions.Contains(commandName)) return names;
            return names.Concat(VppPS.Subscriptions.SubscriptionNameCompleter.Suggestions(context, prefix, token)).Take(Completion.Limit).ToList();
        });
    }

    /// <summary>The cmdlets whose -App names a subscription as well as an app or book.</summary>
    private static readonly HashSet<string> TakesSubscriptions = new(StringComparer.OrdinalIgnoreCase)
        { "Set-VppAssignment", "Remove-VppAssignment", "Add-VppAppLicense", "Remove-VppAppLicense" };
}
