BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_RETRY_BASE_DELAY_MS = '5'

    function Reset-World {
        Stop-VppSimulator
        $env:VPPPS_HOME = New-TestHome
        $script:Sim = Start-VppSimulator -Scenario Demo
        $Sim.TokenFiles | Add-VppToken -AppleId 'vpp@riversideusd.example' -AccountType Education | Out-Null
    }

    # The licenses and users VppPS holds for a location, against the simulator's, row for row.
    function Assert-SameAsSimulator([string] $location) {
        $b2b = @((Invoke-SimControl $Sim "locations/$location/assets" -Method Get) | Where-Object isB2BCustomApp | ForEach-Object adamId)
        $expected = @((Invoke-SimControl $Sim "locations/$location/assignments" -Method Get) | Where-Object adamId -notin $b2b |
            ForEach-Object { "$($_.adamId)|$($_.pricingParam)|$(if ($_.clientUserId) { "User|$($_.clientUserId)" } else { "Device|$($_.serialNumber)" })" } | Sort-Object)
        $actual = @(Get-VppLicense -Token $location | ForEach-Object { "$($_.AdamId)|$($_.PricingParam)|$($_.TargetType)|$($_.Target)" } | Sort-Object)
        $actual | Should -Be $expected
        $expectedUsers = @((Invoke-SimControl $Sim "locations/$location/users" -Method Get) | Group-Object clientUserId | ForEach-Object {
            $active = $_.Group | Where-Object status -notin 'Retired', 'Deleted' | Select-Object -First 1
            $user = if ($active) { $active } else { $_.Group[-1] }
            "$($user.clientUserId)|$($user.status)" } | Sort-Object)
        @(Get-VppUser -Token $location | ForEach-Object { "$($_.ClientUserId)|$($_.Status)" } | Sort-Object) | Should -Be $expectedUsers
        $expectedAssets = @((Invoke-SimControl $Sim "locations/$location/assets" -Method Get) | Where-Object adamId -notin $b2b |
            ForEach-Object { if ($_.unlimited) { "$($_.adamId)|unlimited|$($_.assignedCount)|unlimited|0" }
                             else { "$($_.adamId)|$($_.totalCount)|$($_.assignedCount)|$($_.availableCount)|$($_.retiredCount)" } } | Sort-Object)
        @(@(Get-VppLicensedApp -Token $location) + @(Get-VppLicensedBook -Token $location) |
            ForEach-Object { if ($_.Unlimited) { $null -eq $_.TotalCount -and $null -eq $_.AvailableCount | Should -BeTrue; "$($_.AdamId)|unlimited|$($_.AssignedCount)|unlimited|$($_.RetiredCount)" }
                             else { "$($_.AdamId)|$($_.TotalCount)|$($_.AssignedCount)|$($_.AvailableCount)|$($_.RetiredCount)" } } | Sort-Object) | Should -Be $expectedAssets
    }

    function Get-Headers([string] $location) {
        @{ Authorization = 'Bearer ' + (Get-Content -Raw (Get-SimTokenFile $Sim $location)).Trim() }
    }

    # Gives a device a license directly at "Apple", as another admin would.
    function Add-SimLicense([string] $location, [string] $adamId, [string] $serial) {
        $body = @{ assets = @(@{ adamId = $adamId; pricingParam = 'STDQ' }); serialNumbers = @($serial) } | ConvertTo-Json -Depth 4
        $event = Invoke-RestMethod -Method Post "$($Sim.ServiceUrl)/assets/associate" -Headers (Get-Headers $location) -ContentType 'application/json' -Body $body
        # A poll answered 429 (the location's rate limit, shared with the syncs just before) is polled again.
        Wait-Until -Because 'the event to complete' -Condition {
            try { (Invoke-RestMethod "$($Sim.ServiceUrl)/status?eventId=$($event.eventId)" -Headers (Get-Headers $location)).eventStatus -ne 'PENDING' } catch { $false } }
    }
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome; Remove-Item Env:VPPPS_RETRY_BASE_DELAY_MS -ErrorAction Ignore }

Describe 'Sync-VppToken' {
    BeforeEach { Reset-World }

    It 'pulls every location so that VppPS holds exactly what Apple holds' {
        $runs = Sync-VppToken -All
        $runs | Should -HaveCount 3
        $runs.Status | ForEach-Object { "$_" } | Should -Be @('completed', 'completed', 'completed')
        $runs.Kind | ForEach-Object { "$_" } | Should -Be @('Full', 'Full', 'Full')
        foreach ($location in 'Riverside High School', 'Lincoln Middle School', 'Oak Park Elementary') { Assert-SameAsSimulator $location }
        $token = Get-VppToken -Name 'Riverside High School'
        $token.LastSyncStatus.ToString() | Should -Be 'completed'
        $token.LastSyncDateTime | Should -Not -BeNullOrEmpty
        $token.AppCount | Should -Be 8
        $token.BookCount | Should -Be 2
    }

    It 'skips custom B2B apps and records why' {
        $run = Sync-VppToken -Name 'Riverside High School'
        $run.SkippedCount | Should -Be 1
        Get-VppLicensedApp -AdamId 1598346602 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-VppLicense -App 1598346602 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        # Asking for it by name or adamId says it is skipped by design, rather than printing nothing.
        { Get-VppLicensedApp -AdamId 1598346602 -ErrorAction Stop } | Should -Throw -ErrorId 'VppAppSkipped*'
        { Get-VppLicense -App 1598346602 -ErrorAction Stop } | Should -Throw -ErrorId 'VppAppSkipped*'
    }

    It 'keeps books apart from apps, with names from the metadata lookup' {
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        (Get-VppLicensedBook).Name | Sort-Object | Should -Be @('Frankenstein', 'Pride and Prejudice')
        (Get-VppLicensedApp).Name | Should -Not -Contain 'Frankenstein'
        (Get-VppLicensedBook -Name Frank*).LicensingType | Should -Be 'User'
        (Get-VppLicensedApp -Name Keynote).BundleId | Should -Be 'com.apple.Keynote'
    }

    It 'reads incrementally after the first sync, and everything with -Full' {
        Sync-VppToken -Name 'Lincoln Middle School' | Out-Null
        Add-SimLicense 'Lincoln Middle School' '361285480' 'C02NEWDEVICE1'
        $run = Sync-VppToken -Name 'Lincoln Middle School'
        "$($run.Kind)" | Should -Be 'Incremental'
        $run.AssignmentCount | Should -Be 1
        (Get-VppLicense -Device C02NEWDEVICE1).AdamId | Should -Be '361285480'
        Assert-SameAsSimulator 'Lincoln Middle School'
        "$((Sync-VppToken -Name 'Lincoln Middle School' -Full).Kind)" | Should -Be 'Full'
    }

    It 'shows pending invitations with their URL, and accepted ones after the next sync' {
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        $pending = Get-VppUser -Token 'Riverside High School' -Status Registered
        $pending.Count | Should -BeGreaterThan 0
        $pending[0].InvitationUrl | Should -Match 'inviteCode='
        $pending[0].InvitationUrl | Should -Match ([regex]::Escape($pending[0].InviteCode))
        Invoke-SimControl $Sim "locations/Riverside High School/users/$($pending[0].ClientUserId)/accept" | Out-Null
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        (Get-VppUser -ClientUserId $pending[0].ClientUserId).Status | Should -Be 'Associated'
    }

    It 'reads metadata from the metadata API with a saved developer key, which stays secret' {
        $keyFile = Join-Path $PSScriptRoot '../../docs/demo-developer-key.p8'
        Set-VppMetadataCredential -TeamId DEMOTEAM01 -KeyId DEMOKEY001 -PrivateKeyPath $keyFile -Confirm:$false
        (Get-VppMetadataCredential).KeyId | Should -Be 'DEMOKEY001'
        $verbose = Sync-VppToken -Name 'Riverside High School' -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        $verbose -match '^GET /v1/catalog/us/stoken-authenticated-apps' | Should -Not -BeNullOrEmpty
        $verbose -match 'MZStorePlatform' | Should -BeNullOrEmpty
        (Get-VppLicensedApp -Name Keynote).Name | Should -Be 'Keynote'
        (Get-VppLicensedBook -Name Frankenstein).Name | Should -Be 'Frankenstein'
        $pemBody = ((Get-Content $keyFile) | Where-Object { $_ -notmatch '-----' }) -join ''
        foreach ($file in Get-ChildItem $env:VPPPS_HOME -Filter 'vppps.db*') {
            [Text.Encoding]::UTF8.GetString([IO.File]::ReadAllBytes($file.FullName)).Contains($pemBody.Substring(0, 40)) | Should -BeFalse
        }
        { Set-VppMetadataCredential -TeamId DEMOTEAM01 -KeyId DEMOKEY001 -PrivateKeyPath (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppBadDeveloperKey,*'
        Remove-VppMetadataCredential -Confirm:$false
        Get-VppMetadataCredential | Should -BeNullOrEmpty
    }

    It 'lists requests in -Verbose, never the token' {
        $bearer = (Get-Content -Raw (Get-SimTokenFile $Sim 'Oak Park Elementary')).Trim()
        $verbose = Sync-VppToken -Name 'Oak Park Elementary' -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        $verbose -match '^GET /mdm/v2/assignments\?pageIndex=0 -> 200 \(\d+ ms\)$' | Should -HaveCount 1
        ($verbose -join "`n").Contains($bearer) | Should -BeFalse
    }

    It 'records every run; Get-VppSyncHistory shows them newest first' {
        Sync-VppToken -Name 'Oak Park Elementary' | Out-Null
        Sync-VppToken -Name 'Oak Park Elementary' | Out-Null
        $history = Get-VppSyncHistory -Token 'Oak*'
        $history | Should -HaveCount 2
        $history[0].Id | Should -BeGreaterThan $history[1].Id
        $history[0].RequestCount | Should -BeGreaterThan 0
        (Get-VppAuditLog -Target 'token:Oak*' -First 1).Action | Should -Be 'Sync'
        $lines = Get-VppSyncHistory | Format-Table | Out-String -Width 120 -Stream
        ($lines | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
    }

    It 'refuses a token another MDM took, leaving the previous state' {
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        $before = @(Get-VppLicense -Token 'Riverside High School').Count
        Invoke-SimControl $Sim 'locations/Riverside High School/claim' -Body @{ id = 'other'; name = 'Jamf Pro' } | Out-Null
        { Sync-VppToken -Name 'Riverside High School' -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenClaimedByOtherMdm,*' -ExpectedMessage '*Jamf Pro*'
        (Get-VppToken -Name 'Riverside High School').State.ToString() | Should -Be 'assignedToExternalMDM'
        (Get-VppToken -Name 'Riverside High School').LastSyncStatus.ToString() | Should -Be 'failed'
        @(Get-VppLicense -Token 'Riverside High School').Count | Should -Be $before
        { Sync-VppToken -Name 'Riverside High School' -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenNotWritable,*' -ExpectedMessage '*ClaimFromExternalMdm*'
    }
}

Describe 'Sync-VppToken when Apple misbehaves' {
    BeforeEach {
        Reset-World
        # The faults are the subject here. The test's own requests (Add-SimLicense and its status polls) share the token's
        # real per-second limit with the sync, which the client cannot see: a 429 of that limit would break a run of 9603.
        Invoke-SimControl $Sim 'limits' -Body @{ maxRequestPerSecond = 1000 } | Out-Null
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        Add-SimLicense 'Riverside High School' '361285480' 'C02FAULTTEST1'
    }

    It 'waits out 503 with Retry-After and completes' {
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'unavailable'; count = 2; retryAfterSeconds = 1 } | Out-Null
        $verbose = Sync-VppToken -Name 'Riverside High School' -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        ($verbose | Where-Object { $_ -match '-> 503' }).Count | Should -Be 2
        Assert-SameAsSimulator 'Riverside High School'
    }

    It 'backs off through a storm of 429 and completes' {
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'rateLimited'; count = 4; retryAfterSeconds = 0 } | Out-Null
        "$((Sync-VppToken -Name 'Riverside High School').Status)" | Should -Be 'completed'
        Assert-SameAsSimulator 'Riverside High School'
    }

    It 'retries 9603 up to four times in a row, and stops at five saying so, state intact' {
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'internalError'; count = 4; retryAfterSeconds = 0 } | Out-Null
        "$((Sync-VppToken -Name 'Riverside High School').Status)" | Should -Be 'completed'
        Add-SimLicense 'Riverside High School' '361285480' 'C02FAULTTEST2'
        $before = @(Get-VppLicense -Token 'Riverside High School').Count
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'internalError'; count = 6; retryAfterSeconds = 0; path = 'assignments' } | Out-Null
        { Sync-VppToken -Name 'Riverside High School' -ErrorAction Stop } | Should -Throw -ErrorId 'VppAppleInternalError,*' -ExpectedMessage '*5 internal errors in a row*'
        @(Get-VppLicense -Token 'Riverside High School').Count | Should -Be $before
        (Get-VppSyncHistory -Token 'Riverside*' -First 1).Status.ToString() | Should -Be 'failed'
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Method Delete | Out-Null
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        Assert-SameAsSimulator 'Riverside High School'
    }

    It 'restarts a traversal whose versionId changes midway' {
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'versionChange'; path = 'assignments'; minPageIndex = 0 } | Out-Null
        Sync-VppToken -Name 'Riverside High School' -Full | Out-Null
        Assert-SameAsSimulator 'Riverside High School'
    }

    It 'marks the token invalid on 9622 answered with HTTP 200, keeping the state' {
        Stop-VppSimulator
        $scenario = Join-Path $TestDrive 'status200.json'
        $demo = Get-Content -Raw (Join-Path (Split-Path (Get-TestModulePath)) '..\..\src\VppPS.Simulator\Scenarios\Demo.json') | ConvertFrom-Json
        $demo.invalidTokenStatus = 200
        $demo | ConvertTo-Json -Depth 10 | Set-Content $scenario
        $env:VPPPS_HOME = New-TestHome
        $script:Sim = Start-VppSimulator -Scenario $scenario
        Add-VppToken -Path (Get-SimTokenFile $Sim 'Oak Park Elementary') -AppleId 'vpp@riversideusd.example' -AccountType Education | Out-Null
        Sync-VppToken -Name 'Oak Park Elementary' | Out-Null
        $before = @(Get-VppLicense).Count
        Invoke-SimControl $Sim 'locations/Oak Park Elementary/renew' | Out-Null   # the stored token is now unknown to Apple
        { Sync-VppToken -Name 'Oak Park Elementary' -ErrorAction Stop } | Should -Throw -ErrorId 'VppTokenInvalid,*'
        (Get-VppToken).State.ToString() | Should -Be 'invalid'
        @(Get-VppLicense).Count | Should -Be $before
    }
}

Describe 'One sync per token, across processes' {
    BeforeEach { Reset-World }

    It 'refuses a second sync while one runs, and takes over the lock of a killed pwsh' {
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        $before = @(Get-VppLicense -Token 'Riverside High School').Count
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'slow'; count = 50; delayMs = 5000; path = 'assignments' } | Out-Null
        $child = Start-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_SERVICE_URL = $Sim.ServiceUrl } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
Sync-VppToken -Name 'Riverside High School' -Full
'@
        Wait-Until -Because 'the child to be syncing' -Condition { Get-VppSyncHistory -Status inProgress }
        { Sync-VppToken -Name 'Riverside High School' -ErrorAction Stop } | Should -Throw -ErrorId 'VppSyncInProgress,*' -ExpectedMessage "*process $($child.Id)*"

        $child.Kill($true); $child.WaitForExit()
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Method Delete | Out-Null
        @(Get-VppLicense -Token 'Riverside High School').Count | Should -Be $before
        (Test-VppDatabase).IsHealthy | Should -BeTrue

        $run = Sync-VppToken -Name 'Riverside High School' -WarningVariable warned -WarningAction SilentlyContinue
        "$($run.Status)" | Should -Be 'completed'
        $warned | Should -Match 'no longer running'
        Assert-SameAsSimulator 'Riverside High School'
        $interrupted = Get-VppSyncHistory -Token 'Riverside*' | Where-Object Error -Match 'interrupted'
        $interrupted | Should -HaveCount 1
    }

    It 'names the holder of the lease and since when; -Force breaks it with a warning and an audit line, and the old holder writes nothing more' {
        Sync-VppToken -Name 'Riverside High School' | Out-Null
        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Body @{ kind = 'slow'; count = 50; delayMs = 5000; path = 'assignments' } | Out-Null
        $child = Start-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_SERVICE_URL = $Sim.ServiceUrl } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
try { Sync-VppToken -Name 'Riverside High School' -Full -ErrorAction Stop | Out-Null; 'CHILD-COMPLETED' }
catch { "CHILD-ERROR $($_.FullyQualifiedErrorId) $($_.Exception.Message)" }
'@
        Wait-Until -Because 'the child to be syncing' -Condition { Get-VppSyncHistory -Status inProgress }
        $caught = $null
        try { Sync-VppToken -Name 'Riverside High School' -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'VppSyncInProgress,*'
        "$($caught.CategoryInfo.Category)" | Should -Be 'ResourceBusy'
        $caught.Exception.Message | Should -BeLike "*Sync-VppToken of 'Riverside High School' by * on $([Environment]::MachineName) (process $($child.Id)) holds its lease since ????-??-?? ??:??:??*"
        $caught.Exception.Message | Should -BeLike '*Sync-VppToken -Name ''Riverside High School'' -Force*'

        Invoke-SimControl $Sim 'locations/Riverside High School/faults' -Method Delete | Out-Null
        $run = Sync-VppToken -Name 'Riverside High School' -Force -WarningVariable warned -WarningAction SilentlyContinue
        "$($run.Status)" | Should -Be 'completed'
        "$warned" | Should -BeLike "*Breaking the lease of 'Riverside High School' held by *(process $($child.Id))*"
        $audit = @(Get-VppAuditLog -Target 'token:Riverside High School' | Where-Object Action -eq 'BreakLease')
        $audit | Should -HaveCount 1
        $audit[0].Command | Should -Be 'Sync-VppToken'
        $audit[0].Summary | Should -BeLike "*(process $($child.Id))*"

        # The child, woken up, finds its lease taken over before its final write.
        $child.WaitForExit(120000) | Should -BeTrue
        $child.StandardOutput.ReadToEnd() | Should -Match 'CHILD-ERROR VppLeaseLost'
        Assert-SameAsSimulator 'Riverside High School'
        (Get-VppSyncHistory -Token 'Riverside*' -First 1).Status.ToString() | Should -Be 'completed'
    }
}
