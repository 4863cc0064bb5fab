using System.Management.Automation;
using VppPS.Engine;
using VppPS.Engine.Directories;
using VppPS.Engine.Store;
using VppPS.Infrastructure;

namespace VppPS.Directory;

/// <summary>What the directory cmdlets share: the group a command works on, and streaming reads.</summary>
public abstract class DirectoryCmdlet : VppCmdlet
{
    /// <summary>The group named, or a terminating error: no pipeline item can go into a group that does not exist.</summary>
    internal VppGroup RequireGroup(string name)
    {
        if (!TryRun(c => new DirectoryService(c).ListGroups(), out var groups)) throw new PipelineStoppedException();
        var group = groups.FirstOrDefault(g => string.Equals(g.Name, name.Trim(), StringComparison.OrdinalIgnoreCase));
        if (group is null) ThrowTerminatingError(ErrorMapper.ToErrorRecord(DirectoryService.GroupNotFound(name), name));
        return group!;
    }

    /// <summary>Whether -WhatIf is in effect: given to this command, or set by $WhatIfPreference.</summary>
    internal bool WhatIfInEffect => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
        : GetVariableValue("WhatIfPreference") is { } preference && LanguagePrimitives.IsTrue(preference);

    /// <summary>A service for reads streamed on the pipeline thread (no worker thread, no observer).</summary>
    internal DirectoryService ReadService() => new(new VppContext(SessionStore.Current(SessionRunspace), MyInvocation.MyCommand.Name, NullObserver.Instance));

    /// <summary>Writes what <paramref name="items"/> yields, one at a time, turning engine errors into errors of this command.</summary>
    internal void Stream<T>(Func<IEnumerable<T>> items, Func<T, bool>? keep = null, object? target = null)
    {
        try
        {
            foreach (var item in items())
            {
                if (Stopping) break;
                if (keep is null || keep(item)) WriteObject(item);
            }
        }
        catch (Exception failure) when (StateStore.Explain(failure) is { } e)
        {
            var record = ErrorMapper.ToErrorRecord(e, target);
            if (ErrorMapper.IsTerminating(e)) ThrowTerminatingError(record);
            WriteError(record);
        }
    }

    /// <summary>A group member, named by its kind ("VppGroupMember#User" or "#Device") so that each kind gets its own view.</summary>
    internal static PSObject Shown(VppGroupMember member)
    {
        var shown = PSObject.AsPSObject(member);
        shown.TypeNames.Insert(0, $"{typeof(VppGroupMember).FullName}#{member.Kind}");
        return shown;
    }

    internal static List<NamePattern>? Patterns(string[]? names) => NamePattern.From(names);

    /// <summary>
    /// A filter by names that remembers which names matched, so that <see cref="WriteUnmatched"/>
    /// can say which names without wildcards matched nothing.
    /// </summary>
    internal sealed class NameFilter(string[]? names)
    {
        private readonly List<(string Name, NamePattern Pattern)>? _patterns = names?.Select(n => (n, new NamePattern(n))).ToList();
        private readonly HashSet<string> _matched = new(StringComparer.OrdinalIgnoreCase);

        public bool Keep(string? value)
        {
            if (_patterns is null) return true;
            var kept = false;
            foreach (var (name, pattern) in _patterns)
                if (pattern.IsMatch(value)) { _matched.Add(name); kept = true; }
            return kept;
        }

        public IEnumerable<string> Unmatched => (_patterns ?? []).Select(p => p.Name).Where(n => !_matched.Contains(n) && !WildcardPattern.ContainsWildcardCharacters(n));
    }

    /// <summary>A not-found error for each name without wildcards that matched nothing.</summary>
    internal void WriteUnmatched(NameFilter filter, string errorId, Func<string, string> message)
    {
        foreach (var name in filter.Unmatched) WriteVppError(VppErrorKind.NotFound, errorId, message(name), name);
    }
}
