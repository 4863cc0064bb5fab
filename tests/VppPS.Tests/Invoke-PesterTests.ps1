<#
.SYNOPSIS
    Runs the Pester suite against the laid-out module and writes the counts as JSON for build.ps1.
#>
param(
    [Parameter(Mandatory)] [string] $PesterModule,
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultPath,
    [string[]] $TestPath = @()
)
$ErrorActionPreference = 'Stop'
if ($env:CI -or $env:NO_COLOR) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $PesterModule -MinimumVersion 5.7.1
$env:VPPPS_TEST_MODULE = (Resolve-Path $ModulePath).Path

# The tests run with a temp folder of their own, so that what they leave there can be told apart
# from what other processes on this machine write to the shared one; it must hold no VppPS folder
# or file at the end (each test removes what it creates), and it is removed afterwards.
$sharedTemp = [System.IO.Path]::GetTempPath()
$privateTemp = Join-Path $sharedTemp ("vppps-pester-" + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $privateTemp | Out-Null
$savedTemp = @{}
foreach ($name in 'TMPDIR', 'TMP', 'TEMP') { $savedTemp[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $privateTemp) }

# VPPPS_TEST_BACKEND=PostgreSql: every test's store is a PostgreSQL database of its own on the server
# of VPPPS_TEST_POSTGRES (see New-TestHome), each a copy of one database migrated here, all with one key.
if ($env:VPPPS_TEST_BACKEND -eq 'PostgreSql') {
    if (-not $env:VPPPS_TEST_POSTGRES) { throw 'VPPPS_TEST_BACKEND is PostgreSql but VPPPS_TEST_POSTGRES names no server: run the tests with build.ps1 Test.' }
    Import-Module (Join-Path $PSScriptRoot '../../tools/TestPostgres.psm1') -Force
    $env:VPPPS_TEST_POSTGRES_TEMPLATE = New-TestPostgresTemplate $env:VPPPS_TEST_POSTGRES $env:VPPPS_TEST_MODULE
    $env:VPPPS_TEST_STORE_KEY = [Convert]::ToBase64String([Security.Cryptography.RandomNumberGenerator]::GetBytes(32))
    # VPPPS_HOME does not choose the store then, so what VppPS keeps in the per-user folder (the log of
    # a registered schedule, a saved store) would land in the real one: give the run a per-user data
    # folder of its own, removed with the private temp folder.
    $savedTemp['XDG_DATA_HOME'] = $env:XDG_DATA_HOME; $savedTemp['LOCALAPPDATA'] = $env:LOCALAPPDATA
    $env:XDG_DATA_HOME = $env:LOCALAPPDATA = (New-Item -ItemType Directory (Join-Path $privateTemp 'user-data')).FullName
}

$configuration = New-PesterConfiguration
$configuration.Run.Path = if ($TestPath) { @($TestPath -split ',') } else { $PSScriptRoot }
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Output.RenderMode = if ($env:CI -or $env:NO_COLOR) { 'Plaintext' } else { 'Auto' }
try { $result = Invoke-Pester -Configuration $configuration }
finally {
    foreach ($name in $savedTemp.Keys) { [Environment]::SetEnvironmentVariable($name, $savedTemp[$name]) }
    $left = @(Get-ChildItem -LiteralPath $privateTemp -Force -Filter 'vpp*' -ErrorAction Ignore)
    Remove-Item -LiteralPath $privateTemp -Recurse -Force -ErrorAction Ignore
}
if ($left) {
    Write-Host "Left in the temp folder by the tests ($($left.Count)); each test must remove what it creates:" -ForegroundColor Red
    $left | ForEach-Object { Write-Host "  $($_.Name)" -ForegroundColor Red }
}

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount + [int] [bool] $left
    Skipped = $result.SkippedCount + $result.NotRunCount
    Broken  = $result.Result -ne 'Passed' -and $result.FailedCount -eq 0
} | ConvertTo-Json | Set-Content $ResultPath
