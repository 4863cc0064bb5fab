using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VppPS.Engine;
using VppPS.Engine.Directories;
using VppPS.Infrastructure;

namespace VppPS.Directory;

/// <summary>Tab completion of the user principal names of the VppPS directory.</summary>
public sealed class UserNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Results(() => new DirectoryService(Completion.Context()).UserPrincipalNames(Completion.Prefix(wordToComplete), Completion.Limit));
}

/// <summary>Tab completion of the serial numbers of the VppPS directory's devices.</summary>
public sealed class SerialNumberCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Results(() => new DirectoryService(Completion.Context()).SerialNumbers(Completion.Prefix(wordToComplete), Completion.Limit));
}

/// <summary>
/// Tab completion of -Member of Add-VppGroupMember and Remove-VppGroupMember, as the group given
/// with -Group reads it: user principal names for a User group, serial numbers for a Device group;
/// Remove-VppGroupMember offers the group's own members. Without a known group, both kinds.
/// </summary>
public sealed class GroupMemberCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completion.Results(() =>
        {
            var directory = new DirectoryService(Completion.Context());
            var prefix = Completion.Prefix(wordToComplete);
            var name = Completion.BoundString(fakeBoundParameters, "Group");
            var group = name is null ? null : directory.ListGroups().FirstOrDefault(g => string.Equals(g.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (group is null)
                return [.. directory.UserPrincipalNames(prefix, Completion.Limit), .. directory.SerialNumbers(prefix, Completion.Limit)];
            if (!commandName.StartsWith("Remove", StringComparison.OrdinalIgnoreCase))
                return group.Kind == DirectoryKind.User ? directory.UserPrincipalNames(prefix, Completion.Limit) : directory.SerialNumbers(prefix, Completion.Limit);
            var starts = new WildcardPattern(WildcardPattern.Escape(prefix) + "*", WildcardOptions.IgnoreCase);
            return directory.ListMembers(group.Name).Select(m => m.ToString()).Where(m => starts.IsMatch(m)).Take(Completion.Limit)
                .Select(m => new NameSuggestion(m, $"member of the {group.Kind} group {group.Name}")).ToList();
        });
}
