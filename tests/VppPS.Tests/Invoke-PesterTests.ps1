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
