namespace VppPS.Engine.Store;

/// <summary>Why a lease was acquired while another holder had it.</summary>
public enum LeaseTakeover
{
    /// <summary>Nobody held it.</summary>
    None,
    /// <summary>Its holder stopped renewing it and it expired.</summary>
    Expired,
    /// <summary>Its holder ran on this host and its process is gone (no such process id, or one started at another time).</summary>
    HolderGone,
    /// <summary>Broken on request (Sync-VppToken -Force) while its holder may still run.</summary>
    Broken,
}
