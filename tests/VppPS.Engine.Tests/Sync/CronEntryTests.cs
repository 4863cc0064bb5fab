using VppPS.Engine.Sync;

namespace VppPS.Engine.Tests.Sync;

public class CronEntryTests
{
    private static SyncScheduleRequest Request(int hours = 12, string? dataFolder = null, string? log = null, string? module = null) =>
        new(hours, log ?? "/data/logs/sync.log", module ?? "/opt/VppPS/VppPS.psd1", "/usr/bin/pwsh", dataFolder, "8b0c2a1e-5d1f-4a7e-9d53-0c1b2a3d4e5f");

    [Fact]
    public void Default_interval_gives_every_twelve_hours_at_the_installation_minute()
    {
        var request = Request();
        var minute = SyncCommand.StableMinute(request.InstallationId);
        var line = CronEntry.Build(request);
        Assert.StartsWith($"{minute} */12 * * * '/usr/bin/pwsh' -NoProfile -NonInteractive -Command '", line);
        Assert.Contains("Import-Module '\\''/opt/VppPS/VppPS.psd1'\\''; Sync-VppToken -All | Format-List -Property *'", line);
        Assert.EndsWith(" >> '/data/logs/sync.log' 2>&1 " + CronEntry.Marker, line);
    }

    [Fact]
    public void The_minute_is_stable_per_installation_and_varies_between_installations()
    {
        Assert.Equal(SyncCommand.StableMinute("a"), SyncCommand.StableMinute("a"));
        var minutes = Enumerable.Range(0, 200).Select(i => SyncCommand.StableMinute(Guid.NewGuid().ToString())).ToHashSet();
        Assert.All(minutes, m => Assert.InRange(m, 0, 59));
        Assert.True(minutes.Count > 20, "minutes spread over the hour");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(24)]
    public void Intervals_that_divide_a_day_are_written_as_every_n_hours_and_read_back(int hours)
    {
        var parsed = CronEntry.Parse(CronEntry.Build(Request(hours)))!;
        Assert.Equal(hours, parsed.IntervalHours);
        Assert.EndsWith($" */{hours} * * *", parsed.Schedule);
        Assert.Equal(SyncSchedulePlatform.Cron, parsed.Platform);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(25)]
    [InlineData(48)]
    public void Other_intervals_are_refused_with_the_allowed_values(int hours)
    {
        var e = Assert.Throws<VppException>(() => CronEntry.Build(Request(hours)));
        Assert.Equal(VppErrorKind.InvalidArgument, e.Kind);
        Assert.Equal("VppBadSyncInterval", e.ErrorId);
        Assert.Contains("1, 2, 3, 4, 6, 8, 12, 24", e.Message);
    }

    [Fact]
    public void Paths_with_spaces_quotes_and_percent_survive_sh_and_cron()
    {
        const string home = "/srv/it's 100% VppPS";
        var request = Request(dataFolder: home, log: home + "/logs/sync.log", module: "/opt/Vpp PS/VppPS.psd1");
        var line = CronEntry.Build(request);
        Assert.DoesNotContain(" 100% ", line);             // cron would cut the command at a bare %
        Assert.Contains("100\\%", line);
        Assert.StartsWith($"{SyncCommand.StableMinute(request.InstallationId)} */12 * * * VPPPS_HOME='/srv/it'\\''s 100\\% VppPS' '/usr/bin/pwsh'", line);
        var parsed = CronEntry.Parse(line)!;
        Assert.Equal(home + "/logs/sync.log", parsed.LogPath);
        Assert.DoesNotContain("\\%", parsed.Command);
    }

    [Fact]
    public void The_module_imported_by_name_is_written_by_name_and_read_back()
    {
        var line = CronEntry.Build(Request(module: "VppPS"));
        Assert.Contains("Import-Module VppPS; Sync-VppToken -All | Format-List -Property *'", line);
        var parsed = CronEntry.Parse(line)!;
        Assert.Equal("VppPS", parsed.Module);
        Assert.Equal("/usr/bin/pwsh", parsed.PwshPath);
    }

    [Fact]
    public void The_pwsh_and_the_module_path_are_read_back_with_VPPPS_HOME_before_them()
    {
        var parsed = CronEntry.Parse(CronEntry.Build(Request(dataFolder: "/srv/it's 100%", module: "/opt/it's/VppPS.psd1")))!;
        Assert.Equal("/usr/bin/pwsh", parsed.PwshPath);
        Assert.Equal("/opt/it's/VppPS.psd1", parsed.Module);
    }

    [Fact]
    public void A_line_break_in_a_path_is_refused()
    {
        var e = Assert.Throws<VppException>(() => CronEntry.Build(Request(log: "/tmp/a\nb.log")));
        Assert.Equal("VppBadSchedulePath", e.ErrorId);
    }

    [Theory]
    [InlineData("'plain'", "plain")]
    [InlineData("'it'\\''s'", "it's")]
    [InlineData("'a b'\\''c'\\'''", "a b'c'")]
    [InlineData("no\\ quotes", "no quotes")]
    public void Sh_quoting_round_trips(string quoted, string value)
    {
        Assert.Equal(value, CronEntry.ShUnquote(quoted));
        Assert.Equal(value, CronEntry.ShUnquote(CronEntry.ShQuote(value)));
    }

    [Theory]
    [InlineData("*/12", 12)]
    [InlineData("*", 1)]
    [InlineData("3,15", 12)]
    [InlineData("5", 24)]
    [InlineData("0,7,14,21", null)]
    [InlineData("1-5", null)]
    public void The_interval_is_read_from_the_hour_field(string field, int? hours) =>
        Assert.Equal(hours, CronEntry.IntervalOf(field));

    [Fact]
    public void Lines_that_are_not_VppPS_s_are_not_parsed()
    {
        Assert.Null(CronEntry.Parse("0 3 * * * /usr/bin/backup"));
        Assert.Null(CronEntry.Parse("# a comment"));
    }
}
