using System.Text;

namespace VppPS.Engine.Sync;

/// <summary>
/// The Windows task "VppPS Sync" through schtasks.exe. VPPPS_SCHTASKS_COMMAND may name another
/// program with the same interface.
/// </summary>
internal sealed class WindowsTaskScheduler
{
    public const string CommandVariable = "VPPPS_SCHTASKS_COMMAND";

    private WindowsTaskScheduler(string program) => Program = program;

    public string Program { get; }

    public static WindowsTaskScheduler? TryLocate(out string problem)
    {
        var program = ExternalProgram.Locate(CommandVariable, "schtasks", out var fromVariable);
        problem = fromVariable
            ? $"{CommandVariable} names '{Environment.GetEnvironmentVariable(CommandVariable)}', which was not found. Point it at a program that works like schtasks.exe, or remove it."
            : "schtasks.exe was not found on PATH (it is in %SystemRoot%\\System32). Check PATH, or set " + CommandVariable + ".";
        return program is null ? null : new WindowsTaskScheduler(program);
    }

    public static WindowsTaskScheduler Locate() => TryLocate(out var problem)
        ?? throw new VppException(VppErrorKind.NotFound, "VppSchtasksNotFound", problem, "schtasks");

    /// <summary>The task's XML, or null when there is no such task.</summary>
    public string? Query(out string why)
    {
        var result = ExternalProgram.Run(Program, ["/Query", "/TN", ScheduledTaskDefinition.TaskName, "/XML"]);
        why = result.Errors.Trim();
        return result.ExitCode == 0 ? result.Output : null;
    }

    public void Create(string xml)
    {
        var file = Path.Combine(Path.GetTempPath(), "vppps-task-" + Guid.NewGuid().ToString("N") + ".xml");
        try
        {
            // Task Scheduler reads task XML as UTF-16.
            File.WriteAllText(file, xml, Encoding.Unicode);
            var result = ExternalProgram.Run(Program, ["/Create", "/TN", ScheduledTaskDefinition.TaskName, "/XML", file, "/F"]);
            if (result.ExitCode != 0)
                throw new VppException(VppErrorKind.Unexpected, "VppTaskNotCreated",
                    $"schtasks could not create the task '{ScheduledTaskDefinition.TaskName}' (exit code {result.ExitCode}): {(result.Errors + result.Output).Trim()}", ScheduledTaskDefinition.TaskName);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public void Delete()
    {
        var result = ExternalProgram.Run(Program, ["/Delete", "/TN", ScheduledTaskDefinition.TaskName, "/F"]);
        if (result.ExitCode != 0)
            throw new VppException(VppErrorKind.Unexpected, "VppTaskNotDeleted",
                $"schtasks could not delete the task '{ScheduledTaskDefinition.TaskName}' (exit code {result.ExitCode}): {(result.Errors + result.Output).Trim()}", ScheduledTaskDefinition.TaskName);
    }
}
