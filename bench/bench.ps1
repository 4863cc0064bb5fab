<#
.SYNOPSIS
    Prints VppPS's speed and memory figures. Run through build.ps1 Bench.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Configuration = 'Release',
    [int] $ImportRuns = 7
)
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot
Import-Module (Join-Path $PSScriptRoot 'BenchHelpers.psm1')
$pwsh = Get-PwshCommand

Write-Host "machine: $([Environment]::ProcessorCount) cores, $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), .NET $([Environment]::Version)"

# Import-Module, timed inside a fresh pwsh each time (median of several runs).
$env:VPPPS_HOME = Join-Path ([System.IO.Path]::GetTempPath()) ("vppps-bench-" + [guid]::NewGuid().ToString('N'))
$times = foreach ($i in 1..$ImportRuns) {
    $out = & $pwsh[0] $pwsh[1..9] -NoProfile -NonInteractive -Command "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$ModulePath'; `$sw.Elapsed.TotalMilliseconds"
    [double] ($out | Select-Object -Last 1)
}
$median = ($times | Sort-Object)[[int][math]::Floor($times.Count / 2)]
"import_module_ms median=$([math]::Round($median, 1)) runs=$($times.Count) all=[$((($times | ForEach-Object { [math]::Round($_) }) -join ', '))] target<500 $(if ($median -lt 500) { 'PASS' } else { 'FAIL' })"

# The simulator serving a million assignments (issue 3).
Write-Host '== simulator'
& dotnet run --project (Join-Path $root 'bench/SimulatorBench') -c $Configuration --no-build
if ($LASTEXITCODE -ne 0) { throw 'SimulatorBench failed' }

# Sync and inventory (issue 5); -RateLimited adds the 80-second run at Apple's 15 requests per second.
Write-Host '== sync'
& (Join-Path $PSScriptRoot 'sync-bench.ps1') -ModulePath $ModulePath -Configuration $Configuration -RateLimited:(-not $env:VPPPS_BENCH_QUICK)

# Assignments (issue 6): calls to Apple for 100,000 devices, and the planner's own cost.
Write-Host '== assignments'
& (Join-Path $PSScriptRoot 'assign-bench.ps1') -ModulePath $ModulePath
Write-Host '== planner'
& dotnet run --project (Join-Path $root 'bench/PlanBench') -c $Configuration --no-build
if ($LASTEXITCODE -ne 0) { throw 'PlanBench failed' }

# The same on PostgreSQL (issue 11): a private durable server (fsync on) on loopback, stopped even on failure.
Write-Host '== PostgreSQL'
Import-Module (Join-Path $root 'tools/TestPostgres.psm1')
$server = Start-TestPostgres -Durable
try {
    $version = Invoke-TestPostgresSql $server.ConnectionString 'SHOW server_version'
    Write-Host "postgres: $version on 127.0.0.1:$($server.Port), fsync on, synchronous_commit on"
    & (Join-Path $PSScriptRoot 'sync-bench.ps1') -ModulePath $ModulePath -Configuration $Configuration -PostgresServer $server.ConnectionString
    $database = New-TestPostgresDatabase $server.ConnectionString
    & dotnet run --project (Join-Path $root 'bench/PlanBench') -c $Configuration --no-build -- --postgres $database
    if ($LASTEXITCODE -ne 0) { throw 'PlanBench on PostgreSQL failed' }
}
finally { Stop-TestPostgres $server }
if ($env:VPPPS_HOME) { Remove-Item $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore }
