using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine;
using VppPS.Engine.Directories;

namespace VppPS.Directory;

/// <summary>Tab completion of group names, quoted when they hold spaces; shows kind and member count.</summary>
public sealed class GroupNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<VppGroup> groups;
        try { groups = new DirectoryService(new VppContext(VppSession.Current(), "completion", NullObserver.Instance)).ListGroups(); }
        catch (VppException) { yield break; }
        var pattern = new WildcardPattern(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        foreach (var group in groups.Where(g => pattern.IsMatch(g.Name)))
        {
            var text = group.Name.IndexOfAny([' ', '\'', '$', '`', ',', ';', '(', ')', '{', '}', '@', '#']) >= 0 ? "'" + group.Name.Replace("'", "''") + "'" : group.Name;
            yield return new CompletionResult(text, group.Name, CompletionResultType.ParameterValue, $"{group.Kind} group, {group.MemberCount} member(s)");
        }
    }
}
