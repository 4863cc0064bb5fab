using VppPS.Engine.Sync;

namespace VppPS.Engine.Tests.Sync;

public class CronTableTests
{
    private const string Ours = "17 */12 * * * '/usr/bin/pwsh' -Command 'x' >> '/l' 2>&1 " + CronEntry.Marker;
    private const string Other = "MAILTO=\"\"\n# nightly backup\n0 3 * * * /usr/bin/backup\n";

    [Fact]
    public void Adding_keeps_every_other_line_and_ends_in_a_newline()
    {
        var table = CronTable.WithEntry(Other, Ours);
        Assert.Equal(Other + Ours + "\n", table);
        Assert.Equal(Ours, CronTable.FindEntry(table));
    }

    [Fact]
    public void An_empty_table_gets_just_the_entry() =>
        Assert.Equal(Ours + "\n", CronTable.WithEntry("", Ours));

    [Fact]
    public void Registering_again_replaces_in_place_and_never_duplicates()
    {
        var first = CronTable.WithEntry(Other, Ours);
        var newer = Ours.Replace("*/12", "*/6");
        var twice = CronTable.WithEntry(first + "5 5 * * * /bin/other\n", newer);
        var lines = CronTable.Lines(twice);
        Assert.Single(lines, CronEntry.IsVppLine);
        Assert.Equal(newer, lines[3]);
        Assert.Equal("5 5 * * * /bin/other", lines[4]);
    }

    [Fact]
    public void Duplicates_left_by_hand_are_folded_into_one()
    {
        var table = Other + Ours + "\n" + Ours + "\n";
        Assert.Single(CronTable.Lines(CronTable.WithEntry(table, Ours)), CronEntry.IsVppLine);
    }

    [Fact]
    public void Removing_takes_only_VppPS_s_line()
    {
        var table = CronTable.WithEntry(Other, Ours);
        Assert.Equal(Other, CronTable.WithoutEntry(table));
        Assert.Equal("", CronTable.WithoutEntry(Ours + "\n"));
        Assert.Null(CronTable.FindEntry(Other));
    }

    [Fact]
    public void Windows_line_endings_are_read()
    {
        var table = Other.Replace("\n", "\r\n") + Ours + "\r\n";
        Assert.Equal(Ours, CronTable.FindEntry(table));
    }
}
