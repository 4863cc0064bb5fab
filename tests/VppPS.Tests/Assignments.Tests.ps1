BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_RETRY_BASE_DELAY_MS = '5'
    $script:Location = 'Test School'

    # A small school: an app with 10 licenses, one that cannot be licensed to devices, a book, a big app.
    $script:Scenario = Join-Path ([IO.Path]::GetTempPath()) "vppps-assign-$([guid]::NewGuid().ToString('N')).json"
    @{ pageSize = 1000; locations = @(@{
        orgName = 'Test District'; locationName = $Location; uId = '5550000000000001'; countryISO2ACode = 'US'
        assets = @(
            @{ adamId = '100000001'; name = 'Maps for Schools'; bundleId = 'com.example.maps'; productType = 'App'; totalCount = 10 }
            @{ adamId = '100000002'; name = 'Reader Pro'; bundleId = 'com.example.reader'; productType = 'App'; totalCount = 50; deviceAssignable = $false }
            @{ adamId = '100000003'; name = 'Hamlet'; productType = 'Book'; totalCount = 20 }
            @{ adamId = '100000004'; name = 'Big App'; bundleId = 'com.example.big'; productType = 'App'; totalCount = 1000 })
        users = @(@{ clientUserId = 'outside-1'; email = 'outside@example.org'; status = 'Associated'; managedAppleId = 'outside@appleid.example.org' })
        assignments = @(@{ adamId = '100000004'; serialNumber = 'OUTSIDE00001' }) }) } | ConvertTo-Json -Depth 8 | Set-Content $Scenario

    function Reset-World {
        Stop-VppSimulator
        $env:VPPPS_HOME = New-TestHome
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
        $script:Sim = Start-VppSimulator -Scenario $Scenario
        $Sim.TokenFiles | Add-VppToken -AppleId 'vpp@district.example' -AccountType Education | Out-Null
        Sync-VppToken -All | Out-Null
        New-VppGroup -Name Cart -Kind Device | Out-Null
        1..12 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'CART{0:D4}' -f $_; DeviceName = "iPad $_" } } | Add-VppGroupMember -Group Cart
        New-VppGroup -Name Teachers -Kind User | Out-Null
        [pscustomobject]@{ UserPrincipalName = 'ann@district.example'; Mail = 'ann@district.example' } | Add-VppGroupMember -Group Teachers
        [pscustomobject]@{ UserPrincipalName = 'bob@district.example'; Mail = 'bob@district.example'; ManagedAppleId = 'bob@appleid.district.example' } | Add-VppGroupMember -Group Teachers
    }

    # What the simulator holds for an app, as "User|clientUserId" / "Device|serial".
    function Get-SimHolders([string] $adamId) {
        @((Invoke-SimControl $Sim "locations/$Location/assignments" -Method Get) | Where-Object adamId -eq $adamId |
            ForEach-Object { if ($_.clientUserId) { "User|$($_.clientUserId)" } else { "Device|$($_.serialNumber)" } } | Sort-Object)
    }
    function Get-LocalHolders([string] $adamId) {
        @(Get-VppLicense -App $adamId | ForEach-Object { "$($_.TargetType)|$($_.Target)" } | Sort-Object)
    }
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome; Remove-Item $Scenario -ErrorAction Ignore; Remove-Item Env:VPPPS_RETRY_BASE_DELAY_MS -ErrorAction Ignore }

Describe 'Set-VppAssignment' {
    BeforeEach { Reset-World }

    It 'licenses every member of a device group as Required, exactly as planned, and applying twice changes nothing' {
        $plan = Set-VppAssignment -App 'Big App' -Group Cart -Intent Required -WhatIf
        @($plan | Where-Object Action -eq Associate).Count | Should -Be 12
        Get-SimHolders 100000004 | Should -Be @('Device|OUTSIDE00001')
        $assignment = Set-VppAssignment -App 'Big App' -Group Cart -Intent Required
        "$($assignment.LicenseType)" | Should -Be 'Device'
        $assignment.LicensedCount | Should -Be 12
        Get-SimHolders 100000004 | Should -Be (@('Device|OUTSIDE00001') + @(1..12 | ForEach-Object { 'Device|CART{0:D4}' -f $_ }) | Sort-Object)
        Get-LocalHolders 100000004 | Should -Be (Get-SimHolders 100000004)
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
        $run = Sync-VppToken -All
        $run.Applied.Associated | Should -Be 0
        $run.Applied.Requests | Should -Be 0
        (Get-VppLicense -Device CART0001).AssignedByVppPS | Should -BeTrue
        (Get-VppLicense -Device CART0001).Reason | Should -Match "Required for device group 'Cart'"
        (Get-VppLicense -Device OUTSIDE00001).AssignedByVppPS | Should -BeFalse
        (Get-VppAuditLog -Target 'assignment:*' -First 1).Summary | Should -Match 'Required for device group'
    }

    It 'refuses <Case> and says what is allowed' -ForEach @(
        @{ Case = 'a book to a device group'; App = 'Hamlet'; Group = 'Cart'; Intent = 'Required'; Type = $null; Id = 'VppBookToDeviceGroup'; Says = '*user groups only*' }
        @{ Case = 'a book as Available'; App = 'Hamlet'; Group = 'Teachers'; Intent = 'Available'; Type = $null; Id = 'VppBookNotRequired'; Says = '*Required*' }
        @{ Case = 'a book with device licensing'; App = 'Hamlet'; Group = 'Teachers'; Intent = 'Required'; Type = 'Device'; Id = 'VppBookDeviceLicensing'; Says = '*users only*' }
        @{ Case = 'Available to a device group'; App = 'Big App'; Group = 'Cart'; Intent = 'Available'; Type = $null; Id = 'VppAvailableToDeviceGroup'; Says = '*Required or Uninstall*' }
        @{ Case = 'device licensing of an app Apple does not allow on devices'; App = 'Reader Pro'; Group = 'Cart'; Intent = 'Required'; Type = $null; Id = 'VppNotDeviceAssignable'; Says = '*-LicenseType User*' }
        @{ Case = 'user licensing for a device group'; App = 'Big App'; Group = 'Cart'; Intent = 'Required'; Type = 'User'; Id = 'VppUserLicensingForDevices'; Says = '*-LicenseType Device*' }
    ) {
        $arguments = @{ App = $App; Group = $Group; Intent = $Intent }
        if ($Type) { $arguments.LicenseType = $Type }
        { Set-VppAssignment @arguments -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*" -ExpectedMessage $Says
        Get-VppAssignment | Should -BeNullOrEmpty
    }

    It 'moves user licensing to device licensing only as Required, and device to user never' {
        Set-VppAssignment -App 'Big App' -Group Teachers -Intent Available | Out-Null
        { Set-VppAssignment -App 'Big App' -Group Teachers -Intent Uninstall -LicenseType Device -ErrorAction Stop } | Should -Throw -ErrorId 'VppUserToDeviceNotRequired,*'
        "$((Set-VppAssignment -App 'Big App' -Group Teachers -Intent Required -LicenseType Device).LicenseType)" | Should -Be 'Device'
        { Set-VppAssignment -App 'Big App' -Group Teachers -Intent Required -LicenseType User -ErrorAction Stop } | Should -Throw -ErrorId 'VppDeviceToUserLicensing,*' -ExpectedMessage '*-ReclaimLicenses*'
    }

    It 'refuses a shortage with the numbers, and with -AllowShortage licenses up to what is owned; the rest follow when licenses are bought' {
        { Set-VppAssignment -App 'Maps for Schools' -Group Cart -Intent Required -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppLicenseShortage,*' -ExpectedMessage '*needs 12 new license(s) and 10 are available (2 short)*'
        Get-VppAssignment | Should -BeNullOrEmpty
        Get-SimHolders 100000001 | Should -BeNullOrEmpty
        Set-VppAssignment -App 'Maps for Schools' -Group Cart -Intent Required -AllowShortage -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
        $warned | Should -Match '2 member\(s\) wait'
        (Get-SimHolders 100000001).Count | Should -Be 10
        Get-SimHolders 100000001 | Should -Be @(1..10 | ForEach-Object { 'Device|CART{0:D4}' -f $_ })   # a stable order
        (Get-VppAssignmentPlan | Where-Object Action -eq WaitForLicense).Target | Should -Be @('CART0011', 'CART0012')
        (Get-VppLicensedApp -AdamId 100000001).AvailableCount | Should -Be 0
        Invoke-SimControl $Sim "locations/$Location/assets/100000001/buy" -Body @{ count = 5 } | Out-Null
        (Sync-VppToken -All).Applied.Associated | Should -Be 2
        (Get-SimHolders 100000001).Count | Should -Be 12
        (Get-VppLicensedApp -AdamId 100000001).AvailableCount | Should -Be 3
    }

    It 'counts in the shortage message only the members of this assignment, not another group''s waiting ones' {
        Set-VppAssignment -App 'Maps for Schools' -Group Cart -Intent Required -AllowShortage -WarningAction SilentlyContinue | Out-Null   # 10 licensed, 2 wait
        New-VppGroup -Name Lab -Kind Device | Out-Null
        1..3 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'LAB{0:D4}' -f $_ } } | Add-VppGroupMember -Group Lab
        { Set-VppAssignment -App 'Maps for Schools' -Group Lab -Intent Required -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppLicenseShortage,*' -ExpectedMessage "Not enough licenses for 'Lab'*needs 3 new license(s) and 0 are available (3 short)*"
        @(Get-VppAssignment -Group Lab) | Should -HaveCount 0
        # The members waiting for Maps are not said to wait for another app.
        Set-VppAssignment -App 'Big App' -Group Lab -Intent Required -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
        "$warned" | Should -Not -Match 'wait for a license'
    }

    It 'with -AllowShortage while another pwsh applies the token''s plan, saves the assignment and says it is applied by that run or the next sync' {
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Required -Defer | Out-Null
        # Two pwsh on one location share Apple's per-second limit, which each client paces only for itself:
        # the child's polls and sync just before the sync below could spend it (a 429 the fast test retries cannot outwait).
        Invoke-SimControl $Sim 'limits' -Body @{ maxRequestPerSecond = 1000 } | Out-Null
        Invoke-SimControl $Sim "locations/$Location/faults" -Body @{ kind = 'stayPending'; count = 1 } | Out-Null
        $child = Start-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_SERVICE_URL = $Sim.ServiceUrl; VPPPS_RETRY_BASE_DELAY_MS = '5'; VPPPS_STATUS_POLL_INTERVAL_SECONDS = '0.2' } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
try { Sync-VppToken -All -ErrorAction Stop | Out-Null; 'CHILD-COMPLETED' } catch { "CHILD-ERROR $($_.FullyQualifiedErrorId)" }
'@
        try {
            Wait-Until -Because 'the child to hold the token''s lease' -Condition { Get-VppSyncHistory -Status inProgress }
            $assignment = Set-VppAssignment -App 'Maps for Schools' -Group Cart -Intent Required -AllowShortage -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue
            $assignment.AllowShortage | Should -BeTrue
            "$warned" | Should -BeLike "*is saved; it is applied by the run in progress (Sync-VppToken of '$Location' by * (process $($child.Id))*or the next sync*"
        }
        finally {
            # The child's associate may not have been sent yet: release until its held event was released.
            Wait-Until -Because 'the child''s event to be released' -Condition { (Invoke-SimControl $Sim "locations/$Location/events/release").released -gt 0 }
        }
        $child.WaitForExit(120000) | Should -BeTrue
        $child.StandardOutput.ReadToEnd() | Should -Match 'CHILD-COMPLETED'
        Sync-VppToken -All | Out-Null
        (Get-SimHolders 100000001).Count | Should -Be 10
        (Get-SimHolders 100000004).Count | Should -Be 13
        Get-LocalHolders 100000001 | Should -Be (Get-SimHolders 100000001)
    }

    It 'creates VPP users for user licensing: Registered with an invitation, Associated with a Managed Apple Account' {
        Set-VppAssignment -App Hamlet -Group Teachers -Intent Required | Out-Null
        $users = Get-VppUser | Where-Object ManagedByVppPS
        $users | Should -HaveCount 2
        ($users | Where-Object Email -eq 'ann@district.example').Status | Should -Be 'Registered'
        ($users | Where-Object Email -eq 'ann@district.example').InvitationUrl | Should -Match 'inviteCode='
        ($users | Where-Object Email -eq 'bob@district.example').Status | Should -Be 'Associated'
        $users.ClientUserId | ForEach-Object { $_ | Should -Match '^vppps-[0-9a-f]{32}$' }
        (Get-SimHolders 100000003).Count | Should -Be 2
        Get-VppUser -Status Registered | Where-Object ManagedByVppPS | Select-Object -ExpandProperty Email | Should -Be 'ann@district.example'
    }

    It 'follows members joining and leaving between syncs, and Uninstall reclaims' {
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Required | Out-Null
        Remove-VppGroupMember -Group Cart -SerialNumber CART0001, CART0002 -Confirm:$false
        [pscustomobject]@{ SerialNumber = 'CART0099' } | Add-VppGroupMember -Group Cart
        $applied = (Sync-VppToken -All).Applied
        $applied.Associated | Should -Be 1
        $applied.Disassociated | Should -Be 2
        Get-SimHolders 100000004 | Should -Not -Contain 'Device|CART0001'
        Get-SimHolders 100000004 | Should -Contain 'Device|CART0099'
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Uninstall | Out-Null
        Get-SimHolders 100000004 | Should -Be @('Device|OUTSIDE00001')   # what VppPS did not give stays
    }

    It 'keeps licenses when an assignment is removed, unless -ReclaimLicenses' {
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Required | Out-Null
        Remove-VppAssignment -App 'Big App' -Group Cart -Confirm:$false
        (Get-SimHolders 100000004).Count | Should -Be 13
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
        (Get-VppLicense -Device CART0003).Reason | Should -Match 'kept after its assignment was removed'
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Required | Out-Null
        Get-VppAssignment | Remove-VppAssignment -ReclaimLicenses -Confirm:$false
        Get-SimHolders 100000004 | Should -Be @('Device|OUTSIDE00001')
        Get-VppAssignment | Should -BeNullOrEmpty
    }

    It 'removing a group takes its assignments along and keeps their licenses, which a later assignment adopts' {
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Required | Out-Null
        Remove-VppGroup -Name Cart -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        "$warned" | Should -Match '1 assignment\(s\) of .Cart. went with it; the licenses they gave stay assigned'
        Get-VppAssignment | Should -BeNullOrEmpty
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
        (Get-SimHolders 100000004).Count | Should -Be 13
        (Get-VppLicense -Device CART0003).Reason | Should -Match 'kept after its assignment was removed'
        # The same devices in a new group, as Uninstall: the kept licenses are adopted and reclaimed.
        New-VppGroup -Name 'Old Cart' -Kind Device | Out-Null
        1..12 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'CART{0:D4}' -f $_ } } | Add-VppGroupMember -Group 'Old Cart'
        Set-VppAssignment -App 'Big App' -Group 'Old Cart' -Intent Required | Out-Null
        Set-VppAssignment -App 'Big App' -Group 'Old Cart' -Intent Uninstall | Out-Null
        Get-SimHolders 100000004 | Should -Be @('Device|OUTSIDE00001')
        (Get-VppAuditLog -Target 'group:Cart' | Where-Object Summary -like 'removed the*').Summary | Should -Match 'its 1 assignment\(s\) \(licenses kept\)'
    }

    It 'adopts the VPP user a member already has (same e-mail address): no second VPP user, invitation or license' {
        # outside-1 (outside@example.org, Associated) was registered before VppPS, by hand or by another tool.
        [pscustomobject]@{ UserPrincipalName = 'olive@district.example'; Mail = 'outside@example.org' } | Add-VppGroupMember -Group Teachers
        $plan = Set-VppAssignment -App 'Reader Pro' -Group Teachers -Intent Required -WhatIf
        ($plan | Where-Object Action -eq AdoptVppUser).ClientUserId | Should -Be 'outside-1'
        @($plan | Where-Object Action -eq CreateVppUser).Target | Sort-Object | Should -Be @('ann@district.example', 'bob@district.example')
        Set-VppAssignment -App 'Reader Pro' -Group Teachers -Intent Required | Out-Null
        @(Get-VppUser -Email outside@example.org).ClientUserId | Should -Be @('outside-1')
        $simUsers = Invoke-SimControl $Sim "locations/$Location/users" -Method Get
        @($simUsers | Where-Object email -eq 'outside@example.org').Count | Should -Be 1
        Get-SimHolders 100000002 | Should -Contain 'User|outside-1'
        (Get-SimHolders 100000002).Count | Should -Be 3
        # VppPS did not create it: it is not VppPS's to retire when Olive leaves.
        (Get-VppUser -Email outside@example.org).ManagedByVppPS | Should -BeFalse
        Remove-VppDirectoryUser -UserPrincipalName olive@district.example -Confirm:$false
        Get-VppAssignmentPlan | Where-Object Action -eq RetireVppUser | Should -BeNullOrEmpty
    }

    It 'retires the VPP user of a person removed from the directory, and only users VppPS created' {
        Set-VppAssignment -App 'Big App' -Group Teachers -Intent Required -LicenseType User | Out-Null
        $ann = Get-VppUser -Email ann@district.example
        Remove-VppDirectoryUser -UserPrincipalName ann@district.example -Confirm:$false
        Get-VppAssignmentPlan | Where-Object Action -eq RetireVppUser | Select-Object -ExpandProperty Target | Should -Be 'ann@district.example'
        (Sync-VppToken -All).Applied.UsersRetired | Should -Be 1
        $simUsers = Invoke-SimControl $Sim "locations/$Location/users" -Method Get
        ($simUsers | Where-Object clientUserId -eq $ann.ClientUserId).status | Should -Be 'Retired'
        ($simUsers | Where-Object clientUserId -eq 'outside-1').status | Should -Be 'Associated'
    }

    It 'records a partly FAILED event, keeps what succeeded, and creates again at the next sync the VPP user Apple no longer knows' {
        Set-VppAssignment -App Hamlet -Group Teachers -Intent Required | Out-Null
        $ann = Get-VppUser -Email ann@district.example
        # Someone retires Ann's VPP user at Apple behind VppPS's back: Apple will refuse her (9609).
        $headers = @{ Authorization = 'Bearer ' + (Get-Content -Raw $Sim.TokenFiles[0].FullName).Trim() }
        $body = @{ users = @(@{ clientUserId = $ann.ClientUserId }) } | ConvertTo-Json -Depth 3
        $event = Invoke-RestMethod -Method Post "$($Sim.ServiceUrl)/users/retire" -Headers $headers -ContentType 'application/json' -Body $body
        Wait-Until -Because 'the retire event' -Condition { (Invoke-RestMethod "$($Sim.ServiceUrl)/status?eventId=$($event.eventId)" -Headers $headers).eventStatus -ne 'PENDING' }
        Set-VppAssignment -App 'Big App' -Group Teachers -Intent Required -LicenseType User -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
        "$warned" | Should -Match 'retried at the next sync'
        Get-SimHolders 100000004 | Should -Contain "User|$((Get-VppUser -Email bob@district.example).ClientUserId)"
        # Apple no longer knows Ann's VPP user (9609): VppPS forgets it, and the next sync creates her one again and licenses it.
        "$warned" | Should -Match 'no longer knows 1 VPP user'
        (Get-VppAssignmentPlan | Where-Object Action -eq CreateVppUser).Target | Should -Be 'ann@district.example'
        $applied = (Sync-VppToken -All).Applied
        ($applied.UsersCreated, $applied.Failed) | Should -Be @(1, 0)
        $again = @(Get-VppUser -Email ann@district.example | Where-Object ClientUserId -ne $ann.ClientUserId)
        $again | Should -HaveCount 1
        Get-SimHolders 100000004 | Should -Contain "User|$($again[0].ClientUserId)"
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
    }

    It 'gives Available apps only to members who ask, and refuses members no assignment covers unless -Force' {
        Set-VppAssignment -App 'Reader Pro' -Group Teachers -Intent Available | Out-Null
        Get-SimHolders 100000002 | Should -BeNullOrEmpty
        $result = Add-VppAppLicense -App 'Reader Pro' -User ann@district.example
        $result.Associated | Should -Be 1
        (Get-SimHolders 100000002).Count | Should -Be 1
        [pscustomobject]@{ UserPrincipalName = 'carl@district.example' } | Out-Null
        New-VppGroup -Name Others -Kind User | Out-Null
        [pscustomobject]@{ UserPrincipalName = 'carl@district.example' } | Add-VppGroupMember -Group Others
        { Add-VppAppLicense -App 'Reader Pro' -User carl@district.example -ErrorAction Stop } | Should -Throw -ErrorId 'VppLicenseNotAssigned,*' -ExpectedMessage '*-Force*'
        (Add-VppAppLicense -App 'Reader Pro' -User carl@district.example -Force).Associated | Should -Be 1
        (Get-SimHolders 100000002).Count | Should -Be 2
    }

    It 'licenses a device directly with -Device, by name or piped, and refuses an app that is not device-assignable' {
        $result = Add-VppAppLicense -App 'Maps for Schools' -Device CART0001 -Force
        $result.Associated | Should -Be 1
        Get-SimHolders 100000001 | Should -Contain 'Device|CART0001'
        (Get-VppLicensedApp -Name 'Maps for Schools' | Add-VppAppLicense -Device CART0002 -Force).Associated | Should -Be 1
        Get-SimHolders 100000001 | Should -Be @('Device|CART0001', 'Device|CART0002')
        (Get-VppGroupMember -Group Teachers | Select-Object -First 1 | Add-VppAppLicense -App 'Maps for Schools' -Force).Associated | Should -Be 1
        { Add-VppAppLicense -App 'Reader Pro' -Device CART0004 -Force -ErrorAction Stop } | Should -Throw -ErrorId 'VppNotDeviceAssignable,*'
        { Add-VppAppLicense -App 'Maps for Schools' -Device CART0004 -ErrorAction Stop } | Should -Throw -ErrorId 'VppLicenseNotAssigned,*'
        # One of -User and -Device: both, or neither, is a binding error, not a silent no-op.
        { Add-VppAppLicense -App 'Maps for Schools' -User ann@district.example -Device CART0004 -Force -ErrorAction Stop } | Should -Throw -ErrorId 'AmbiguousParameterSet,*'
    }

    It 'reclaims with Remove-VppAppLicense: only what VppPS gave, books never, outside licenses with -IncludeUnmanaged' {
        Set-VppAssignment -App 'Big App' -Group Cart -Intent Required | Out-Null
        (Remove-VppAppLicense -App 'Big App' -Device CART0005 -Confirm:$false).Disassociated | Should -Be 1
        Get-SimHolders 100000004 | Should -Not -Contain 'Device|CART0005'
        (Remove-VppAppLicense -App 'Big App' -Device OUTSIDE00001 -Confirm:$false).Disassociated | Should -Be 0
        (Remove-VppAppLicense -App 'Big App' -Device OUTSIDE00001 -IncludeUnmanaged -Confirm:$false).Disassociated | Should -Be 1
        { Remove-VppAppLicense -App Hamlet -All -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'VppLicenseIrrevocable,*'
        Remove-VppAppLicense -App 'Big App' -All -WhatIf
        (Get-SimHolders 100000004).Count | Should -Be 11
    }

    It 'fits its tables in 120 columns' {
        Set-VppAssignment -App 'Maps for Schools' -Group Cart -Intent Required -AllowShortage -WarningAction SilentlyContinue | Out-Null
        foreach ($output in (Get-VppAssignment), (Get-VppAssignmentPlan)) {
            ($output | Format-Table | Out-String -Width 120 -Stream | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
        }
    }
}

Describe 'A crash in the middle of applying a plan' {
    BeforeAll { Reset-World }

    It 'is finished by the next sync without a duplicate request, leaving exactly the planned licenses' {
        Invoke-SimControl $Sim "locations/$Location/faults" -Body @{ kind = 'stayPending'; path = 'assets/associate' } | Out-Null
        $child = Start-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_SERVICE_URL = $Sim.ServiceUrl; VPPPS_STATUS_POLL_INTERVAL_SECONDS = '0.05' } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
Set-VppAssignment -App 'Big App' -Group Cart -Intent Required
'@
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VppPS.Engine' }
        $pendingEvents = {
            $connection = $engine.GetType('VppPS.Engine.VppSession')::Current().Store.OpenConnection()
            try { $command = $connection.CreateCommand(); $command.CommandText = "SELECT count(*) FROM pending_operations WHERE status = 'submitted'"; $command.ExecuteScalar() }
            finally { $connection.Dispose() }
        }
        Wait-Until -Because 'the child to have submitted its request' -Condition { (& $pendingEvents) -ge 1 }
        $child.Kill($true); $child.WaitForExit()
        Invoke-SimControl $Sim 'events/release' | Out-Null

        $verbose = Sync-VppToken -All -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        $verbose -match 'POST /mdm/v2/assets/associate' | Should -BeNullOrEmpty
        $verbose -match 'Following up associate event' | Should -Not -BeNullOrEmpty
        Get-SimHolders 100000004 | Should -Be (@('Device|OUTSIDE00001') + @(1..12 | ForEach-Object { 'Device|CART{0:D4}' -f $_ }) | Sort-Object)
        Get-LocalHolders 100000004 | Should -Be (Get-SimHolders 100000004)
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
        (Get-VppLicense -Device CART0007).AssignedByVppPS | Should -BeTrue
    }
}

Describe 'An event Apple leaves pending when a run dies' {
    BeforeAll { Reset-World }

    It 'holds up no other assignment and no sync, is reported once, and its licenses are VppPS''s once Apple finishes it' {
        Invoke-SimControl $Sim "locations/$Location/faults" -Body @{ kind = 'stayPending'; path = 'assets/associate' } | Out-Null
        $child = Start-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_SERVICE_URL = $Sim.ServiceUrl; VPPPS_STATUS_POLL_INTERVAL_SECONDS = '0.05' } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
Set-VppAssignment -App 'Big App' -Group Cart -Intent Required
'@
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VppPS.Engine' }
        $submitted = {
            $connection = $engine.GetType('VppPS.Engine.VppSession')::Current().Store.OpenConnection()
            try { $command = $connection.CreateCommand(); $command.CommandText = "SELECT count(*) FROM pending_operations WHERE status = 'submitted'"; $command.ExecuteScalar() }
            finally { $connection.Dispose() }
        }
        Wait-Until -Because 'the child to have sent its request' -Condition { (& $submitted) -ge 1 }
        $child.Kill($true); $child.WaitForExit()

        # Apple still has the event PENDING: other work goes ahead at once, and the user hears of the open event once.
        Set-VppAssignment -App 'Reader Pro' -Group Teachers -Intent Required -WarningVariable first -WarningAction SilentlyContinue | Out-Null
        @($first | Where-Object { "$_" -match 'Apple has not finished the request to give 12 license' }).Count | Should -Be 1
        (Get-SimHolders 100000002).Count | Should -Be 2
        $run = Sync-VppToken -All -WarningVariable again -WarningAction SilentlyContinue
        "$($run.Status)" | Should -Be 'completed'
        @($again | Where-Object { "$_" -match 'Apple has not finished' }).Count | Should -Be 0
        Get-SimHolders 100000004 | Should -Be @('Device|OUTSIDE00001')
        (Get-VppAssignmentPlan | Where-Object App -eq 'Big App') | Should -BeNullOrEmpty

        Invoke-SimControl $Sim 'events/release' | Out-Null
        Sync-VppToken -All | Out-Null
        Get-SimHolders 100000004 | Should -Be (@('Device|OUTSIDE00001') + @(1..12 | ForEach-Object { 'Device|CART{0:D4}' -f $_ }) | Sort-Object)
        Get-LocalHolders 100000004 | Should -Be (Get-SimHolders 100000004)
        (Get-VppLicense -Device CART0007).AssignedByVppPS | Should -BeTrue
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
    }
}
