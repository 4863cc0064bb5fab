namespace VppPS.Engine.Sync;

/// <summary>Where a scheduled sync lives: the user's crontab (Linux, macOS) or a Windows scheduled task.</summary>
public enum SyncSchedulePlatform
{
    Cron,
    TaskScheduler,
}
