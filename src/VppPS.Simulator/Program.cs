using System.Runtime.InteropServices;
using VppPS.Simulator;

// VppPS.Simulator --scenario FILE|Demo --urls http://127.0.0.1:PORT [--token-dir DIR] [--exit-on-stdin-close] [--verbose]
string? scenario = null, urls = "http://127.0.0.1:0", tokenDir = null;
bool exitOnStdinClose = false, verbose = false;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--scenario": scenario = Next(); break;
        case "--urls": urls = Next(); break;
        case "--token-dir": tokenDir = Next(); break;
        case "--exit-on-stdin-close": exitOnStdinClose = true; break;
        case "--verbose": verbose = true; break;
        case "--help" or "-h" or "-?":
            Console.WriteLine("VppPS.Simulator --scenario FILE|Demo [--urls http://127.0.0.1:PORT] [--token-dir DIR] [--exit-on-stdin-close] [--verbose]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'. Try --help.");
            return 2;
    }
}
if (scenario is null) { Console.Error.WriteLine("--scenario is required (a file or Demo)."); return 2; }

SimulatorHost host;
try
{
    host = await SimulatorHost.StartAsync(new SimulatorOptions { ScenarioPath = scenario, Url = urls!.Split(';')[0], TokenDirectory = tokenDir, Logging = verbose });
}
catch (Exception e)
{
    Console.Error.WriteLine($"VppPS.Simulator failed to start: {e.Message}");
    return 1;
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => { c.Cancel = true; stop.TrySetResult(); });
if (exitOnStdinClose)
{
    var t = new Thread(() =>
    {
        try { using var stdin = Console.OpenStandardInput(); var buf = new byte[256]; while (stdin.Read(buf, 0, buf.Length) > 0) { } }
        catch { }
        stop.TrySetResult();
    }) { IsBackground = true, Name = "stdin-watch" };
    t.Start();
}

Console.Out.WriteLine($"VppPS.Simulator listening on {host.BaseUrl}");
Console.Out.Flush();
if (verbose)
    foreach (var f in host.TokenFiles) Console.Error.WriteLine($"token: {f.LocationName} uId={f.UId} file={f.Path ?? "(none)"}");

await stop.Task;
await host.DisposeAsync();
return 0;
