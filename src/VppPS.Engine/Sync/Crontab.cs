namespace VppPS.Engine.Sync;

/// <summary>
/// The user's crontab through the crontab program ("crontab -l" reads, "crontab -" replaces).
/// VPPPS_CRONTAB_COMMAND may name another program with the same interface (the tests use a
/// fake one, so that they never touch a real crontab).
/// </summary>
internal sealed class Crontab
{
    public const string CommandVariable = "VPPPS_CRONTAB_COMMAND";

    private Crontab(string program) => Program = program;

    public string Program { get; }

    /// <summary>The crontab program, or null (with the reason) when there is none.</summary>
    public static Crontab? TryLocate(out string problem)
    {
        var program = ExternalProgram.Locate(CommandVariable, "crontab", out var fromVariable);
        problem = fromVariable
            ? $"{CommandVariable} names '{Environment.GetEnvironmentVariable(CommandVariable)}', which was not found. Point it at a program that works like crontab, or remove it to use crontab."
            : "crontab was not found; install cron (for example 'sudo apt-get install cron' on Debian and Ubuntu, 'sudo dnf install cronie' on Fedora and RHEL) " +
              $"and make sure its service runs, or set {CommandVariable} to a program that works like crontab.";
        return program is null ? null : new Crontab(program);
    }

    public static Crontab Locate() => TryLocate(out var problem)
        ?? throw new VppException(VppErrorKind.NotFound, "VppCrontabNotFound", problem, "crontab");

    /// <summary>The current table; empty when the user has none.</summary>
    public string Read()
    {
        var result = ExternalProgram.Run(Program, ["-l"]);
        if (result.ExitCode == 0) return result.Output;
        if (result.Errors.Contains("no crontab", StringComparison.OrdinalIgnoreCase)) return "";
        throw new VppException(VppErrorKind.Unexpected, "VppCrontabUnreadable",
            $"'{Program} -l' failed (exit code {result.ExitCode}): {result.Errors.Trim()}", Program);
    }

    public void Write(string table)
    {
        var result = ExternalProgram.Run(Program, ["-"], table);
        if (result.ExitCode != 0)
            throw new VppException(VppErrorKind.Unexpected, "VppCrontabNotWritten",
                $"'{Program} -' refused the new table (exit code {result.ExitCode}): {result.Errors.Trim()} The crontab was not changed.", Program);
    }
}
