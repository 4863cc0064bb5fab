using System.Xml.Linq;
using VppPS.Engine.Sync;

namespace VppPS.Engine.Tests.Sync;

public class ScheduledTaskDefinitionTests
{
    private static SyncScheduleRequest Request(int hours = 12, string? dataFolder = null) =>
        new(hours, @"C:\Users\it's me\AppData\Local\VppPS\logs\sync.log", @"C:\Program Files\VppPS\VppPS.psd1",
            @"C:\Program Files\PowerShell\7\pwsh.exe", dataFolder, "8b0c2a1e-5d1f-4a7e-9d53-0c1b2a3d4e5f");

    [Fact]
    public void The_task_repeats_every_n_hours_from_the_installation_minute_and_runs_pwsh()
    {
        var request = Request(6);
        var (xml, planned) = ScheduledTaskDefinition.Build(request, @"CORP\alice", new DateTime(2026, 11, 25));
        var ns = XNamespace.Get("http://schemas.microsoft.com/windows/2004/02/mit/task");
        var task = XDocument.Parse(xml);
        var minute = SyncCommand.StableMinute(request.InstallationId);
        Assert.Equal($"2026-11-25T00:{minute:00}:00", (string?)task.Descendants(ns + "StartBoundary").Single());
        Assert.Equal("PT6H", (string?)task.Descendants(ns + "Interval").Single());
        Assert.Equal(@"CORP\alice", (string?)task.Descendants(ns + "UserId").Single());
        Assert.Equal("InteractiveToken", (string?)task.Descendants(ns + "LogonType").Single());
        Assert.Equal(@"C:\Program Files\PowerShell\7\pwsh.exe", (string?)task.Descendants(ns + "Command").Single());
        var arguments = (string)task.Descendants(ns + "Arguments").Single();
        Assert.StartsWith("-NoProfile -NonInteractive -Command \"", arguments);
        Assert.Contains(@"Import-Module 'C:\Program Files\VppPS\VppPS.psd1'; Sync-VppToken -All | Format-List -Property * } *>> 'C:\Users\it''s me\AppData\Local\VppPS\logs\sync.log'", arguments);
        Assert.Equal(1, arguments.Count(c => c == '"') / 2);
        Assert.Equal(SyncSchedulePlatform.TaskScheduler, planned.Platform);
        Assert.False(planned.Registered);
    }

    [Fact]
    public void The_data_folder_is_set_inside_the_script_when_VPPPS_HOME_chose_it()
    {
        var script = ScheduledTaskDefinition.Script(Request(dataFolder: @"D:\Vpp Data"));
        Assert.StartsWith(@"& { $env:VPPPS_HOME = 'D:\Vpp Data'; ", script);
    }

    [Fact]
    public void What_schtasks_returns_is_read_back()
    {
        var request = Request(8);
        var (xml, planned) = ScheduledTaskDefinition.Build(request, "alice", new DateTime(2026, 11, 25));
        var read = ScheduledTaskDefinition.Parse(xml)!;
        Assert.Equal(8, read.IntervalHours);
        Assert.Equal(planned.Schedule, read.Schedule);
        Assert.Equal(planned.Command, read.Command);
        Assert.Equal(request.LogPath, read.LogPath);
        Assert.Equal(request.PwshPath, read.PwshPath);
        Assert.Equal(request.Module, read.Module);
        Assert.True(read.Registered);
    }

    [Fact]
    public void Something_that_is_not_task_xml_is_not_read() =>
        Assert.Null(ScheduledTaskDefinition.Parse("ERROR: The system cannot find the file specified."));
}
