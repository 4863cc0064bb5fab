using System.Management.Automation;
using VppPS.Engine.Configuration;
using VppPS.Infrastructure;

namespace VppPS.Configuration;

[Cmdlet(VerbsCommon.Get, "VppConfiguration")]
[OutputType(typeof(VppConfiguration))]
public sealed class GetVppConfigurationCommand : VppCmdlet
{
    protected override void EndProcessing()
    {
        if (TryRun(c => c.Configuration, out var configuration))
            WriteObject(configuration);
    }
}
