<#
.SYNOPSIS
    The one entry point: builds, lays out, tests, demonstrates and benchmarks VppPS.
.DESCRIPTION
    dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 <Task>
      Build  builds the solution and lays out the module in out/VppPS
      Test   Build, then every xunit and Pester test (the engine's xunit tests and the Pester tests
             once on SQLite and once on a private PostgreSQL server); prints "N passed, N failed, N skipped"
      Demo   Build, then runs demo/demo.ps1 against the simulator
      Bench  Build, then prints the speed and memory figures of the benchmarks
      Package  Build, then writes out/packages/VppPS.<version>.nupkg (PowerShell Gallery or any
             NuGet feed, made with PSResourceGet) and out/packages/VppPS.zip (Azure Automation)
    The version is <VersionPrefix> in Directory.Build.props; CHANGELOG.md has a section for it.
    Installs nothing outside the repository and the NuGet cache.
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Package')]
    [string] $Task = 'Build',

    # Pester tests to run (a path under tests/VppPS.Tests); all when empty.
    [string[]] $PesterPath = @(),

    # Skip the xunit tests (for a quick Pester round while developing).
    [switch] $SkipXunit,

    # Run the Pester tests on SQLite only (for a quick Pester round while developing).
    [switch] $SkipPostgresPester
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'VppPS'
$ResultsDir = Join-Path $Out 'test-results'
$PackagesOut = Join-Path $Out 'packages'
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

# The version, from the one place that holds it: <VersionPrefix> in Directory.Build.props.
function Get-VppVersion {
    [xml] $props = Get-Content -Raw (Join-Path $Root 'Directory.Build.props')
    $version = @($props.Project.PropertyGroup | ForEach-Object { $_.SelectSingleNode('VersionPrefix') } | Where-Object { $_ })[0].InnerText.Trim()
    if ($version -notmatch '^\d+\.\d+\.\d+$') { throw "<VersionPrefix> in Directory.Build.props is '$version'; it must be major.minor.patch." }
    $version
}

# The section of CHANGELOG.md for $Version: the lines after its '## <version>' heading, up to the next '## '.
function Get-ReleaseNotes {
    param([string] $Version)
    $lines = Get-Content (Join-Path $Root 'CHANGELOG.md')
    $start = [array]::FindIndex([string[]] $lines, [Predicate[string]] { param($l) $l -match "^## \[?$([regex]::Escape($Version))\]?(\s|$)" })
    if ($start -lt 0) { throw "CHANGELOG.md has no section '## $Version': say what changed in this version there." }
    $notes = [System.Collections.Generic.List[string]]::new()
    for ($i = $start + 1; $i -lt $lines.Count -and $lines[$i] -notmatch '^## '; $i++) { $notes.Add($lines[$i]) }
    ($notes -join "`n").Trim()
}

# Stamps the version and this version's release notes into the laid-out manifest.
function Set-ManifestVersion {
    param([string] $ManifestPath)
    $version = Get-VppVersion
    $notes = (Get-ReleaseNotes $version) -replace "'", "''"
    $text = Get-Content -Raw $ManifestPath
    $text = $text -replace "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'"
    $text = $text -replace "(?m)^(\s*ReleaseNotes\s*=\s*)'[^']*'", { $_.Groups[1].Value + "'" + "$version`n`n" + $notes + "'" }
    Set-Content -Path $ManifestPath -Value $text -NoNewline
    $stamped = Import-PowerShellDataFile $ManifestPath
    if ($stamped.ModuleVersion -ne $version -or $stamped.PrivateData.PSData.ReleaseNotes -notlike "$version*") { throw "Could not stamp version $version into $ManifestPath." }
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
    Copy-Item (Join-Path $Root 'LICENSE') $ModuleOut
    Set-ManifestVersion (Join-Path $ModuleOut 'VppPS.psd1')
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
    # Install.Tests.ps1 publishes and installs the packages: make them and say where they are.
    if (-not $PesterPath -or ($PesterPath -match 'Install')) {
        Invoke-Package
        $env:VPPPS_TEST_PACKAGES = $PackagesOut
    }
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
        # The engine's tests run twice: on SQLite, then on PostgreSQL (each test a database of its own
        # on the private server, see tests/VppPS.Engine.Tests/TestStores.cs).
        $runs = @(
            @{ Project = 'VppPS.Simulator.Tests'; Backend = $null }
            @{ Project = 'VppPS.Engine.Tests'; Backend = $null }
            @{ Project = 'VppPS.Engine.Tests'; Backend = 'PostgreSql' }
        )
        foreach ($run in $runs) {
            $project = $run.Project
            $name = if ($run.Backend) { "$project.$($run.Backend)" } else { $project }
            Write-Host "== xunit: $project$(if ($run.Backend) { " on $($run.Backend)" })" -ForegroundColor Cyan
            $trx = Join-Path $ResultsDir "$name.trx"
            $started = [Diagnostics.Stopwatch]::StartNew()
            if ($run.Backend) { $env:VPPPS_TEST_BACKEND = $run.Backend }
            try {
                & dotnet test (Join-Path $Root "tests/$project") -c $Configuration --no-build --nologo `
                    --logger "trx;LogFileName=$trx" --logger 'console;verbosity=minimal' --results-directory $ResultsDir
            } finally { Remove-Item Env:VPPPS_TEST_BACKEND -ErrorAction Ignore }
            Write-Host ("{0} took {1:mm\:ss}" -f $name, $started.Elapsed)
            if (Test-Path $trx) {
                $counts = Read-TrxCounts $trx
                $totals.Passed += $counts.Passed; $totals.Failed += $counts.Failed; $totals.Skipped += $counts.Skipped
                if ($LASTEXITCODE -ne 0 -and $counts.Failed -eq 0) { $broken += $name }
            } else { $broken += $name }
        }
    }

    # The Pester suite runs twice too: on SQLite, then on PostgreSQL (each test's data folder comes
    # with a database of its own on the private server, see New-TestHome in TestHelpers.psm1).
    Invoke-Native 'restore Pester' { dotnet restore (Join-Path $Root 'tests/VppPS.Tests/PesterRestore.csproj') --nologo -v quiet }
    $runner = Join-Path $Root 'tests/VppPS.Tests/Invoke-PesterTests.ps1'
    foreach ($backend in $null, 'PostgreSql') {
        if ($backend -and $SkipPostgresPester) { continue }
        $name = if ($backend) { "Pester.$backend" } else { 'Pester' }
        Write-Host "== Pester: tests/VppPS.Tests$(if ($backend) { " on $backend" })" -ForegroundColor Cyan
        $pesterJson = Join-Path $ResultsDir "$name.json"
        $pesterArgs = @('-PesterModule', (Join-Path (Get-NuGetPackageFolder) 'pester/5.7.1/tools/Pester.psd1'),
            '-ModulePath', (Join-Path $ModuleOut 'VppPS.psd1'), '-ResultPath', $pesterJson)
        if ($PesterPath) { $pesterArgs += '-TestPath'; $pesterArgs += ($PesterPath -join ',') }
        $started = [Diagnostics.Stopwatch]::StartNew()
        if ($backend) { $env:VPPPS_TEST_BACKEND = $backend }
        try { & dotnet pwsh -NoProfile -NonInteractive -File $runner @pesterArgs }
        finally { Remove-Item Env:VPPPS_TEST_BACKEND -ErrorAction Ignore }
        Write-Host ("{0} took {1:mm\:ss}" -f $name, $started.Elapsed)
        if (Test-Path $pesterJson) {
            $counts = Get-Content -Raw $pesterJson | ConvertFrom-Json
            $totals.Passed += $counts.Passed; $totals.Failed += $counts.Failed; $totals.Skipped += $counts.Skipped
            if ($counts.Failed -eq 0 -and $counts.Broken) { $broken += $name }
        } else { $broken += $name }
    }

    if ($broken) { Write-Host "Test runs that ended without results: $($broken -join ', ')" -ForegroundColor Red }
    Write-Host "$($totals.Passed) passed, $($totals.Failed) failed, $($totals.Skipped) skipped"
    if ($totals.Failed -gt 0 -or $broken) { exit 1 }
}

# Runs $Script in a child pwsh (the one running this script) whose per-user folders are $UserFolder:
# PSResourceGet keeps its repository list per user (on Linux and macOS under HOME or XDG_DATA_HOME),
# so the user's own list is never read or changed. $Variables become environment variables.
function Invoke-IsolatedPwsh {
    param([string] $Script, [string] $UserFolder, [hashtable] $Variables = @{})
    $info = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
        $info.ArgumentList.Add((Join-Path $PSHOME 'pwsh.dll'))
    }
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Script) { $info.ArgumentList.Add($a) }
    $info.UseShellExecute = $false
    $info.WorkingDirectory = $UserFolder
    foreach ($name in 'HOME', 'USERPROFILE', 'LOCALAPPDATA', 'APPDATA') { $info.Environment[$name] = $UserFolder }
    foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'PSModulePath') { $null = $info.Environment.Remove($name) }
    foreach ($name in $Variables.Keys) { $info.Environment[$name] = $Variables[$name] }
    $process = [System.Diagnostics.Process]::Start($info)
    try { $process.WaitForExit() } finally { if (-not $process.HasExited) { $process.Kill($true) } }
    if ($process.ExitCode -ne 0) { throw "The child pwsh failed (exit code $($process.ExitCode))." }
}

function Invoke-Package {
    Write-Host '== Package' -ForegroundColor Cyan
    $version = Get-VppVersion
    $manifestPath = Join-Path $ModuleOut 'VppPS.psd1'
    # The manifest, the assemblies and the packages carry the same version.
    $manifest = Import-PowerShellDataFile $manifestPath
    if ($manifest.ModuleVersion -ne $version) { throw "out/VppPS/VppPS.psd1 says $($manifest.ModuleVersion), Directory.Build.props ${version}: run build.ps1 Build." }
    foreach ($dll in 'VppPS.dll', 'Dependencies/VppPS.Engine.dll') {
        $assembly = [System.Reflection.AssemblyName]::GetAssemblyName((Join-Path $ModuleOut $dll)).Version
        if ($assembly.ToString(3) -ne $version) { throw "$dll is version $assembly, Directory.Build.props ${version}: run build.ps1 Build." }
    }
    if (Test-Path $PackagesOut) { Remove-Item $PackagesOut -Recurse -Force }
    New-Item -ItemType Directory $PackagesOut | Out-Null

    # The Gallery package, made by PSResourceGet (in pwsh 7.4 and later) publishing the laid-out module
    # to a folder repository: out/packages itself. The repository is registered under a name of its
    # own in a child pwsh with per-user folders of its own, and unregistered again.
    $userFolder = Join-Path ([System.IO.Path]::GetTempPath()) ('vppps-package-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory $userFolder | Out-Null
    try {
        Invoke-IsolatedPwsh -UserFolder $userFolder -Variables @{
            VPPPS_PACKAGE_REPOSITORY = 'VppPSBuild-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
            VPPPS_PACKAGE_FOLDER     = $PackagesOut
            VPPPS_PACKAGE_MODULE     = $ModuleOut
        } -Script @'
$ErrorActionPreference = 'Stop'
$name = $env:VPPPS_PACKAGE_REPOSITORY
Register-PSResourceRepository -Name $name -Uri $env:VPPPS_PACKAGE_FOLDER -Trusted
try { Publish-PSResource -Path $env:VPPPS_PACKAGE_MODULE -Repository $name }
finally { Unregister-PSResourceRepository -Name $name }
'@
    }
    finally { Remove-Item $userFolder -Recurse -Force -ErrorAction Ignore }
    $nupkg = Join-Path $PackagesOut "VppPS.$version.nupkg"
    if (-not (Test-Path $nupkg)) { throw "Publish-PSResource did not write $nupkg." }

    # The Azure Automation package: VppPS/ at the root of the zip, every path under 140 characters,
    # the whole under 100 MB.
    $zip = Join-Path $PackagesOut 'VppPS.zip'
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    [System.IO.Compression.ZipFile]::CreateFromDirectory($ModuleOut, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)
    $archive = [System.IO.Compression.ZipFile]::OpenRead($zip)
    try {
        $names = @($archive.Entries.FullName)
        $bad = @($names | Where-Object { -not $_.StartsWith('VppPS/') -or $_.Length -ge 140 })
        if ($bad) { throw "VppPS.zip holds paths Azure Automation refuses (outside VppPS/ or 140 characters or more): $($bad -join ', ')" }
        $rids = @($names | Where-Object { $_ -match '^VppPS/Dependencies/runtimes/([^/]+)/' } | ForEach-Object { $Matches[1] } | Sort-Object -Unique)
        $others = @($rids | Where-Object { $_ -notin $SupportedRids })
        if ($others) { throw "VppPS.zip holds native libraries of unsupported platforms: $($others -join ', ')" }
    }
    finally { $archive.Dispose() }
    if ((Get-Item $zip).Length -ge 100MB) { throw "VppPS.zip is $([math]::Round((Get-Item $zip).Length / 1MB)) MB; Azure Automation takes less than 100 MB." }

    foreach ($file in Get-ChildItem $PackagesOut -File) { Write-Host ("{0} ({1:N1} MB)" -f $file.FullName, ($file.Length / 1MB)) }
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
    'Package' { Invoke-Build; Invoke-Package }
}
