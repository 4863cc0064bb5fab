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
    Step 'Start the simulator of Apple''s service: the Riverside school district, three schools'
    $sim = Start-VppSimulator -Scenario Demo
    $sim | Format-Table | Show
    Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false   # the simulator answers at once; Apple wants 30 s

    Step 'Upload every content token of the district (Get-ChildItem | Add-VppToken)'
    Get-ChildItem $sim.TokenDirectory -Filter *.vpptoken | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education | Format-Table | Show

    Step 'A token uploaded twice is refused, with what to do instead'
    try { Add-VppToken -Path $sim.TokenFiles[0] -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -ErrorAction Stop }
    catch { Write-Host "refused: $($_.Exception.Message)" -ForegroundColor Yellow }

    Step 'Sync licenses from Apple (full the first time, incremental after), then the history'
    Get-VppToken -State valid | Sync-VppToken | Out-Null
    Sync-VppToken -All | Out-Null
    Get-VppSyncHistory | Format-Table | Show

    Step 'Licensed apps and books at Riverside High School (the custom B2B app is skipped, as in Intune)'
    Get-VppLicensedApp -Token 'Riverside*' | Format-Table | Show
    Get-VppLicensedBook | Format-Table | Show

    Step 'District-wide totals per app'
    Get-VppLicensedApp -Summary | Format-Table | Show

    Step 'Groups: an iPad cart (from Microsoft Graph-shaped device objects) and the science teachers'
    New-VppGroup -Name 'RHS Cart A' -Kind Device -Description 'Science wing iPad cart' | Out-Null
    1..24 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPRHSA{0:D5}' -f $_; DeviceName = "RHS-A-$_"; OperatingSystem = 'iPadOS' } } |
        Add-VppGroupMember -Group 'RHS Cart A'
    New-VppGroup -Name 'RHS Science Teachers' -Kind User | Out-Null
    @(
        [pscustomobject]@{ UserPrincipalName = 'j.rivera@riversideusd.org'; Mail = 'j.rivera@riversideusd.org' }
        [pscustomobject]@{ UserPrincipalName = 'p.nguyen@riversideusd.org'; Mail = 'p.nguyen@riversideusd.org'; ManagedAppleId = 'p.nguyen@appleid.riversideusd.org' }
    ) | Add-VppGroupMember -Group 'RHS Science Teachers'
    Get-VppGroup | Format-Table | Show

    Step 'The plan first (-WhatIf writes it as objects), then assign Keynote to the cart as Required'
    Get-VppLicensedApp -Name Keynote -Token 'Riverside*' | Set-VppAssignment -Group 'RHS Cart A' -Intent Required -WhatIf | Select-Object -First 5 | Format-Table | Show
    Get-VppLicensedApp -Name Keynote -Token 'Riverside*' | Set-VppAssignment -Group 'RHS Cart A' -Intent Required | Format-Table | Show

    Step 'Books go to user groups only; the refusal says what is allowed instead'
    try { Set-VppAssignment -App Frankenstein -Group 'RHS Cart A' -Intent Required -ErrorAction Stop }
    catch { Write-Host "refused: $($_.Exception.Message)" -ForegroundColor Yellow }
    Set-VppAssignment -App Frankenstein -Group 'RHS Science Teachers' -Intent Required | Format-Table | Show

    Step 'VPP users VppPS created: one invited (Registered, with the URL to send), one Associated through a Managed Apple Account'
    Get-VppUser -Token 'Riverside*' | Where-Object ManagedByVppPS | Format-List Email, Status, InvitationUrl | Show

    Step 'Subscriptions: the reading subscription of Riverside, its seats given to the science teachers (users only; they renew yearly)'
    Get-VppSubscription -Name 1640000101 -Token 'Riverside*' | Format-Table | Show
    Set-VppAssignment -App 1640000101 -Token 'Riverside High School' -Group 'RHS Science Teachers' -Intent Required | Format-Table | Show
    Get-VppSubscriptionSeat -Subscription 1640000101 -Token 'Riverside High School' | Format-Table | Show

    Step 'Never more than owned: Oak Park owns 10 Notability licenses (7 free) and its new cart has 24 iPads'
    New-VppGroup -Name 'OPE Cart' -Kind Device | Out-Null
    1..24 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'DMPOPE{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'OPE Cart'
    try { Set-VppAssignment -App Notability -Token 'Oak Park Elementary' -Group 'OPE Cart' -Intent Required -ErrorAction Stop }
    catch { Write-Host "refused: $($_.Exception.Message)" -ForegroundColor Yellow }
    Set-VppAssignment -App Notability -Token 'Oak Park Elementary' -Group 'OPE Cart' -Intent Required -AllowShortage -WarningAction Continue | Out-Null
    Get-VppAssignmentPlan | Group-Object Action | Select-Object Name, Count | Format-Table | Show

    Step 'The district buys 20 more Notability licenses for Oak Park; the next sync licenses the waiting iPads'
    Invoke-RestMethod -Method Post -Uri "$($sim.Url)/_sim/locations/Oak Park Elementary/assets/360593530/buy" -ContentType 'application/json' -Body '{"count":20}' | Out-Null
    Sync-VppToken -Name 'Oak Park Elementary' | Select-Object TokenName, Kind, Status, @{ n = 'LicensesGiven'; e = { $_.Applied.Associated } } | Format-Table | Show
    Get-VppLicensedApp -Name Notability -Token 'Oak*' | Format-Table | Show

    Step 'An iPad leaves the cart: the next sync reclaims its license'
    Remove-VppGroupMember -Group 'RHS Cart A' -SerialNumber DMPRHSA00024 -Confirm:$false
    Sync-VppToken -Name 'Riverside High School' | Select-Object TokenName, @{ n = 'LicensesTakenBack'; e = { $_.Applied.Disassociated } } | Format-Table | Show

    Step 'Who holds Keynote licenses at Riverside, and why'
    Get-VppLicense -App Keynote -Token 'Riverside*' | Select-Object -First 6 | Format-Table | Show

    Step 'Another MDM takes over Lincoln Middle School; VppPS notices at its next call and stops writing there'
    Invoke-RestMethod -Method Post -Uri "$($sim.Url)/_sim/locations/Lincoln Middle School/claim" -ContentType 'application/json' `
        -Body '{"id":"jamf-42","name":"Jamf Pro","metadata":"jamf.riversideusd.example"}' | Out-Null
    Test-VppToken -Online | Where-Object Severity -ne Information | Format-Table -Wrap | Show
    Set-VppToken -Name 'Lincoln Middle School' -ClaimFromExternalMdm -PassThru -Confirm:$false -WarningAction SilentlyContinue | Format-Table | Show

    Step 'A license report for the district: an HTML page with charts (and CSV for spreadsheets)'
    # Kept after the demo, beside the built module, to open in a browser.
    $reports = New-Item -ItemType Directory -Force (Join-Path (Split-Path (Split-Path $ModulePath)) 'demo-report')
    $report = Export-VppLicenseReport -Path (Join-Path $reports 'licenses.html') -PassThru
    Write-Host "$($report.FullName) ($([math]::Round($report.Length / 1KB, 1)) KB): a summary per school (health, last sync, expiry), what runs out, who waits for a license, charts; open it in a browser"
    Export-VppLicenseReport -Path (Join-Path $reports 'licenses.csv')
    Import-Csv (Join-Path $reports 'licenses.csv') | Sort-Object { [double] $_.UsedPercent } -Descending | Select-Object -First 5 Token, Name, TotalCount, AssignedCount, UsedPercent, GivenByVppPS, Waiting | Format-Table | Show

    Step 'The scheduled sync a runbook would register (shown with -WhatIf), and the audit journal'
    try { Register-VppSyncSchedule -WhatIf } catch { Write-Host "($($_.Exception.Message))" -ForegroundColor Yellow }
    Get-VppAuditLog -First 15 | Format-Table | Show
}
finally {
    Stop-VppSimulator
    Remove-Item $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore
}
