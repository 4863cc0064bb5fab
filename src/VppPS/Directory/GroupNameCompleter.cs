using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine;
using VppPS.Engine.Directories;
using VppPS.Infrastructure;

namespace VppPS.Directory;

/// <summary>Tab completion of group names, quoted when they hold spaces; shows kind and member count.</summary>
public sealed class GroupNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<VppGroup> groups;
        try { groups = new DirectoryService(Completion.Context()).ListGroups(); }
        catch (VppException) { yield break; }
        var prefix = Completion.Prefix(wordToComplete);
        var pattern = new WildcardPattern(WildcardPattern.Escape(prefix) + "*", WildcardOptions.IgnoreCase);
        var asPattern = new WildcardPattern(prefix + "*", WildcardOptions.IgnoreCase);
        foreach (var group in groups.Where(g => pattern.IsMatch(g.Name) || asPattern.IsMatch(g.Name)))
            yield return Completion.Result(group.Name, $"{group.Kind} group, {group.MemberCount} member(s)");
    }
}
