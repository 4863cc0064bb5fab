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
# Tables at 120 columns even when the output is redirected (CI has no console).
function Show { $input | Out-String -Width 120 | Write-Host }

try {
    Step 'Start the simulator of Apple''s service (a school district with three schools)'
    $sim = Start-VppSimulator -Scenario Demo
    $sim | Format-Table | Show

    Step 'Upload every content token of the district (Get-ChildItem | Add-VppToken)'
    $sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education | Format-Table | Show

    Step 'A token uploaded twice is refused, with what to do instead'
    try { Add-VppToken -Path $sim.TokenFiles[0] -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -ErrorAction Stop }
    catch { Write-Host "refused: $($_.Exception.Message)" -ForegroundColor Yellow }

    Step 'Token health: Oak Park''s token expires within 15 days'
    Test-VppToken | Format-Table -Wrap | Show

    Step 'Another MDM takes over Riverside High School; VppPS notices at its next call'
    Invoke-RestMethod -Method Post -Uri "$($sim.Url)/_sim/locations/Riverside High School/claim" -ContentType 'application/json' `
        -Body '{"id":"jamf-42","name":"Jamf Pro","metadata":"jamf.riversideusd.example"}' | Out-Null
    Test-VppToken -Name 'Riverside High School' -Online | Format-Table -Wrap | Show
    Get-VppToken | Format-Table | Show

    Step 'Claim it back'
    Set-VppToken -Name 'Riverside High School' -ClaimFromExternalMdm -PassThru -Confirm:$false | Format-Table | Show

    Step 'Settings and the audit journal of everything above'
    Set-VppConfiguration -TokenCap 3000 -Confirm:$false
    Get-VppConfiguration | Format-List ServiceUrl, TokenCap, SyncIntervalHours, DataFolder | Show
    Get-VppAuditLog | Format-Table -AutoSize | Show
}
finally {
    Stop-VppSimulator
    Remove-Item $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore
}
