using VppPS.Engine.Configuration;
using VppPS.Engine.Store;

namespace VppPS.Engine.Tests.Store;

public class SettingsStoreTests
{
    [Fact]
    public void Saved_values_win_over_defaults_and_are_journaled()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        var settings = new SettingsStore(store);
        var journal = new AuditJournal(store, SystemClock.Instance, "Set-VppConfiguration");
        settings.Save(new Dictionary<string, string?> { ["TokenCap"] = "3000" }, journal);
        var current = settings.Current("Default");
        Assert.Equal(3000, current.TokenCap);
        Assert.Equal("Database", current.Sources["TokenCap"]);
        var entry = Assert.Single(journal.Read(new AuditQuery(), 0, 10));
        Assert.Equal("setting:TokenCap", entry.Target);
    }

    [Fact]
    public void An_invalid_value_is_refused_before_anything_is_written()
    {
        using var folder = new TempFolder();
        var store = StateStore.Open(folder.Path);
        var settings = new SettingsStore(store);
        var journal = new AuditJournal(store, SystemClock.Instance, "t");
        var e = Assert.Throws<VppException>(() => settings.Save(new Dictionary<string, string?> { ["SyncIntervalHours"] = "6", ["TokenCap"] = "0" }, journal));
        Assert.Equal(VppErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(12, settings.Current("Default").SyncIntervalHours);
        Assert.Equal(0, journal.Count(new AuditQuery()));
    }
}
