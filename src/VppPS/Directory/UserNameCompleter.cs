using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
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
