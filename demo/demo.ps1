<#
.SYNOPSIS
    The VppPS demo: what an admin does, start to finish, against the simulator of Apple's service.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
if ($env:CI -or $env:NO_COLOR) { $PSStyle.OutputRendering = 'PlainText' }

# The demo keeps its state in a folder of its own, so it never touches a real installation.
$env:VPPPS_HOME = Join-Path ([System.IO.Path]::GetTempPath()) ("vppps-demo-" + [guid]::NewGuid().ToString('N'))
Import-Module $ModulePath

function Step([string] $text) { Write-Host "`n>>> $text" -ForegroundColor Cyan }

Step 'Where VppPS keeps its state, and its settings'
Get-VppConfiguration | Format-List

Step 'Allow more tokens than the default 256 (written to the audit journal)'
Set-VppConfiguration -TokenCap 3000 -PassThru | Select-Object TokenCap, ServiceUrl | Format-Table

Step 'The audit journal'
Get-VppAuditLog | Format-Table

Step 'The state database is healthy'
Test-VppDatabase | Format-List
Remove-Item $env:VPPPS_HOME -Recurse -Force
