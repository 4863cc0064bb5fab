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

$configuration = New-PesterConfiguration
$configuration.Run.Path = if ($TestPath) { @($TestPath -split ',') } else { $PSScriptRoot }
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Output.RenderMode = if ($env:CI -or $env:NO_COLOR) { 'Plaintext' } else { 'Auto' }
$result = Invoke-Pester -Configuration $configuration

[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount + $result.NotRunCount
    Broken  = $result.Result -ne 'Passed' -and $result.FailedCount -eq 0
} | ConvertTo-Json | Set-Content $ResultPath
