using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine;
using VppPS.Engine.Subscriptions;
using VppPS.Infrastructure;

namespace VppPS.Subscriptions;

/// <summary>
/// Tab completion of subscriptions, under the token given with -Token when there is one: their
/// adamIds (what names one subscription: Apple's answers carry no subscription name), and their
/// names when the metadata has one.
/// </summary>
public sealed class SubscriptionNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Results(() => Suggestions(Completion.Context(), Completion.Prefix(wordToComplete), Completion.BoundString(fakeBoundParameters, "Token")));

    /// <summary>The subscriptions' adamIds and names that start with <paramref name="prefix"/> (or match it followed by *).</summary>
    internal static IReadOnlyList<NameSuggestion> Suggestions(VppContext context, string prefix, string? token)
    {
        var starts = new WildcardPattern(WildcardPattern.Escape(prefix) + "*", WildcardOptions.IgnoreCase);
        var asPattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        var inToken = token is null ? null : new NamePattern(token);
        return new SubscriptionService(context).List()
            .Where(s => inToken is null || inToken.IsMatch(s.Token))
            .SelectMany(s => new[] { s.AdamId, s.Name }.OfType<string>().Select(name => (Name: name, Subscription: s)))
            .Where(n => starts.IsMatch(n.Name) || asPattern.IsMatch(n.Name))
            .GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase)
            .OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase)
            .Take(Completion.Limit)
            .Select(g => new NameSuggestion(g.First().Name,
                $"subscription {g.First().Subscription.DisplayName} under {string.Join(", ", g.Select(n => n.Subscription.Token).Distinct(StringComparer.OrdinalIgnoreCase))}"))
            .ToList();
    }
}
