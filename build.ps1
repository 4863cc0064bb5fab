<#
.SYNOPSIS
    The one entry point: builds, lays out, tests, demonstrates and benchmarks VppPS.
.DESCRIPTION
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 <Task>
      Build  builds the solution and lays out the module in out/VppPS
      Test   Build, then every xunit and Pester test; prints "N passed, N failed, N skipped"
      Demo   Build, then runs demo/demo.ps1 against the simulator
      Bench  Build, then prints the speed and memory figures of the benchmarks
    Installs nothing outside the repository and the NuGet cache.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench')]
    [string] $Task = 'Build',

    # Pester tests to run (a path under tests/VppPS.Tests); all when empty.
    [string[]] $PesterPath = @(),

    # Skip the xunit tests (for a quick Pester round while developing).
    [switch] $SkipXunit
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'VppPS'
$ResultsDir = Join-Path $Out 'test-results'
$Configuration = 'Release'
$SupportedRids = 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64', 'win-x64'
if ($env:CI -or $env:NO_COLOR) { $PSStyle.OutputRendering = 'PlainText'; $env:NO_COLOR = '1' }
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Native {
    param([string] $What, [scriptblock] $Command)
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)." }
}

function Get-NuGetPackageFolder {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    $folder = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    return $folder.Trim()
}

function Invoke-Build {
    Write-Host '== Build' -ForegroundColor Cyan
    Invoke-Native 'dotnet build' { dotnet build (Join-Path $Root 'VppPS.sln') -c $Configuration --nologo -v quiet -clp:ErrorsOnly }

    Write-Host '== Lay out the module in out/VppPS'
    if (Test-Path $ModuleOut) { Remove-Item $ModuleOut -Recurse -Force }
    $dependencies = Join-Path $ModuleOut 'Dependencies'
    Invoke-Native 'publish engine' { dotnet publish (Join-Path $Root 'src/VppPS.Engine') -c $Configuration -f net8.0 --no-build --nologo -v quiet -o $dependencies }
    # Native SQLite for the platforms VppPS supports; the others are dropped.
    Get-ChildItem (Join-Path $dependencies 'runtimes') -Directory | Where-Object Name -notin $SupportedRids | Remove-Item -Recurse -Force
    Get-ChildItem $dependencies -Filter '*.deps.json' | Remove-Item -Force
    # For PowerShell 7.6 on .NET 10: the engine and its libraries built for net10.0 and precompiled
    # (ReadyToRun) for this machine's platform, in Dependencies/net10.0, which the module prefers on
    # .NET 10 (which ignores code precompiled for .NET 8): a cold pwsh compiles less before it works.
    # Elsewhere the precompiled code is ignored and the IL runs as usual.
    $rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
    if ($rid -in $SupportedRids) {
        $precompiled = Join-Path $Root "src/VppPS.Engine/bin/$Configuration/net10.0-r2r-$rid"
        Invoke-Native 'precompile engine' { dotnet publish (Join-Path $Root 'src/VppPS.Engine') -c $Configuration -f net10.0 -r $rid --self-contained false -p:PublishReadyToRun=true --nologo -v quiet -o $precompiled }
        $net10 = New-Item -ItemType Directory (Join-Path $dependencies 'net10.0')
        Get-ChildItem $precompiled -Filter '*.dll' | Copy-Item -Destination $net10
    }
    Copy-Item (Join-Path $Root "src/VppPS/bin/$Configuration/net8.0/VppPS.dll") $ModuleOut
    Copy-Item (Join-Path $Root 'module/*') $ModuleOut -Recurse
    if (Test-Path (Join-Path $Root 'src/VppPS.Simulator/Program.cs')) {
        Invoke-Native 'publish simulator' { dotnet publish (Join-Path $Root 'src/VppPS.Simulator') -c $Configuration --no-build --nologo -v quiet -o (Join-Path $ModuleOut 'Simulator') }
    }
    & (Join-Path $Root 'tools/New-MamlHelp.ps1') -DocsPath (Join-Path $Root 'docs/cmdlets') -OutputPath (Join-Path $ModuleOut 'en-US/VppPS.dll-Help.xml')
    Write-Host "Module ready: $(Join-Path $ModuleOut 'VppPS.psd1')"
}

function Read-TrxCounts {
    param([string] $Path)
    [xml] $trx = Get-Content -Raw $Path
    $counters = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int] $counters.passed
        Failed  = [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        Skipped = [int] $counters.notExecuted
    }
}

function Invoke-Test {
    Invoke-Build
    if (Test-Path $ResultsDir) { Remove-Item $ResultsDir -Recurse -Force }
    New-Item -ItemType Directory $ResultsDir | Out-Null
    # A private PostgreSQL server for the run (the shared store's tests), stopped even on failure.
    Import-Module (Join-Path $Root 'tools/TestPostgres.psm1') -Force
    Write-Host '== PostgreSQL: a private server for the tests' -ForegroundColor Cyan
    $postgres = Start-TestPostgres
    $env:VPPPS_TEST_POSTGRES = $postgres.ConnectionString
    try { Invoke-TestSuites } finally {
        Remove-Item Env:VPPPS_TEST_POSTGRES -ErrorAction Ignore
        Stop-TestPostgres $postgres
    }
}

function Invoke-TestSuites {
    $totals = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 }
    $broken = @()

    if (-not $SkipXunit) {
        foreach ($project in 'VppPS.Simulator.Tests', 'VppPS.Engine.Tests') {
            Write-Host "== xunit: $project" -ForegroundColor Cyan
            $trx = Join-Path $ResultsDir "$project.trx"
            & dotnet test (Join-Path $Root "tests/$project") -c $Configuration --no-build --nologo `
                --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal' --results-directory $ResultsDir
            if (Test-Path $trx) {
                $counts = Read-TrxCounts $trx
                $totals.Passed += $counts.Passed; $totals.Failed += $counts.Failed; $totals.Skipped += $counts.Skipped
                if ($LASTEXITCODE -ne 0 -and $counts.Failed -eq 0) { $broken += $project }
            } else { $broken += $project }
        }
    }

    Write-Host '== Pester: tests/VppPS.Tests' -ForegroundColor Cyan
    Invoke-Native 'restore Pester' { dotnet restore (Join-Path $Root 'tests/VppPS.Tests/PesterRestore.csproj') --nologo -v quiet }
    $pesterJson = Join-Path $ResultsDir 'pester.json'
    $runner = Join-Path $Root 'tests/VppPS.Tests/Invoke-PesterTests.ps1'
    $pesterArgs = @('-PesterModule', (Join-Path (Get-NuGetPackageFolder) 'pester/5.7.1/tools/Pester.psd1'),
        '-ModulePath', (Join-Path $ModuleOut 'VppPS.psd1'), '-ResultPath', $pesterJson)
    if ($PesterPath) { $pesterArgs += '-TestPath'; $pesterArgs += ($PesterPath -join ',') }
    & dotnet pwsh -NoProfile -NonInteractive -File $runner @pesterArgs
    if (Test-Path $pesterJson) {
        $counts = Get-Content -Raw $pesterJson | ConvertFrom-Json
        $totals.Passed += $counts.Passed; $totals.Failed += $counts.Failed; $totals.Skipped += $counts.Skipped
        if ($counts.Failed -eq 0 -and $counts.Broken) { $broken += 'Pester' }
    } else { $broken += 'Pester' }

    if ($broken) { Write-Host "Test runs that ended without results: $($broken -join ', ')" -ForegroundColor Red }
    Write-Host "$($totals.Passed) passed, $($totals.Failed) failed, $($totals.Skipped) skipped"
    if ($totals.Failed -gt 0 -or $broken) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    Write-Host '== Demo' -ForegroundColor Cyan
    & dotnet pwsh -NoProfile -File (Join-Path $Root 'demo/demo.ps1') -ModulePath (Join-Path $ModuleOut 'VppPS.psd1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Bench {
    Invoke-Build
    Write-Host '== Bench' -ForegroundColor Cyan
    & dotnet pwsh -NoProfile -File (Join-Path $Root 'bench/bench.ps1') -ModulePath (Join-Path $ModuleOut 'VppPS.psd1') -Configuration $Configuration
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
}
