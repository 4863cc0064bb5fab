# A PostgreSQL store shared by a team (issue 11), as users run it: build.ps1 Test starts a private
# server and sets VPPPS_TEST_POSTGRES; each test gets a database of its own on it.
BeforeDiscovery { $script:NoServer = -not $env:VPPPS_TEST_POSTGRES }

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '../../tools/TestPostgres.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    # A data folder of this file's own until a test takes one (on the PostgreSQL run the tests are
    # skipped before they do): Connect-VppStore -Default in AfterAll opens it, never the folder of a
    # test file that ran before and removed it.
    $env:VPPPS_HOME = New-TestHome

    # What a child pwsh (another admin's machine, a runbook) needs to reach the simulator and the store.
    function Get-AdminEnvironment([string] $connection, [string] $key, [hashtable] $more = @{}) {
        $environment = @{
            HOME = New-TestHome; VPPPS_HOME = $null; VPPPS_STORE = $connection; VPPPS_STORE_KEY = $key
            VPPPS_SERVICE_URL = $Sim.ServiceUrl; VPPPS_STATUS_POLL_INTERVAL_SECONDS = '0'; VPPPS_RETRY_BASE_DELAY_MS = '5'
        }
        foreach ($name in $more.Keys) { $environment[$name] = $more[$name] }
        $environment
    }

    function Invoke-Admin([hashtable] $environment, [string] $script) {
        $result = Invoke-TestPwsh -Environment $environment -Script "`$ErrorActionPreference = 'Stop'; `$WarningPreference = 'SilentlyContinue'; Import-Module `$env:VPPPS_TEST_MODULE; $script"
        $result.ExitCode | Should -Be 0 -Because "the admin's pwsh failed: $($result.Errors)"
        $result.Output.Trim()
    }
}

AfterAll { Stop-VppSimulator; Connect-VppStore -Default -ErrorAction Ignore | Out-Null; Stop-TestChildren; Remove-TestHome }

Describe 'A PostgreSQL store shared by a team' -Skip:$NoServer {
    BeforeEach {
        Skip-OnPostgres 'these tests choose their stores themselves (SQLite and databases of their own)'
        # A simulator of its own: each test's store is another management system to Apple.
        Stop-VppSimulator
        $script:Sim = Start-VppSimulator -Scenario Demo
        $env:VPPPS_HOME = New-TestHome
        $script:Connection = New-TestPostgresDatabase $env:VPPPS_TEST_POSTGRES
        $script:KeyText = New-VppStoreKey
        $script:Key = ConvertTo-SecureString $KeyText -AsPlainText -Force
        $script:Password = (ConvertFrom-StringData ($Connection -replace ';', "`n")).Password
    }
    AfterEach { Connect-VppStore -Default | Out-Null }

    It 'Connect-VppStore switches this PowerShell session only, and Get-VppStore never shows the password or the key' {
        $info = Connect-VppStore -ConnectionString $Connection -Key $Key
        $info.Kind | Should -Be 'PostgreSql'
        $info.Source | Should -Be 'Session'
        $info.KeyMatches | Should -BeTrue
        $info.ReadOnly | Should -BeFalse
        $info.SchemaVersion | Should -Be $info.ModuleSchemaVersion
        $shown = (Get-VppStore | Format-List * | Out-String -Width 200) + (Get-VppConfiguration | Format-List * | Out-String -Width 200) + (Test-VppDatabase | Out-String -Width 200)
        $shown | Should -Match 'PostgreSql postgres@127\.0\.0\.1:\d+/vppps_t_'
        $shown | Should -Not -Match ([regex]::Escape($Password))
        $shown | Should -Not -Match ([regex]::Escape($KeyText))

        # Another runspace of the same process (a second runbook job) keeps its own store.
        $other = [powershell]::Create()
        try {
            $null = $other.AddScript('Import-Module $env:VPPPS_TEST_MODULE; (Get-VppStore).Kind.ToString()')
            $other.Invoke() | Should -Be 'Sqlite'
        } finally { $other.Dispose() }

        (Connect-VppStore -Default).Kind | Should -Be 'Sqlite'
        (Get-VppStore).Folder | Should -Be $env:VPPPS_HOME
    }

    It 'lets two admins on two machines share one state and one identity, with no location to claim' {
        $token = $Sim.TokenFiles | Select-Object -First 1
        $alice = Get-AdminEnvironment $Connection $KeyText
        $bob = Get-AdminEnvironment $Connection $KeyText
        $first = Invoke-Admin $alice "Add-VppToken -Path '$token' -AppleId 'vpp@riversideusd.example' -AccountType Education | Out-Null; `$run = Sync-VppToken -All; `"`$(`$run.Status)|`$((Get-VppStore).StoreId)|`$(@(Get-VppLicense).Count)`""
        $status, $storeId, $licenses = $first -split '\|'
        $status | Should -Be 'completed'
        [int] $licenses | Should -BeGreaterThan 0

        # Bob's machine never added the token: he sees it, syncs it and gets the same identity.
        $second = Invoke-Admin $bob "`$run = Sync-VppToken -All; `"`$(`$run.Status)|`$((Get-VppStore).StoreId)|`$(@(Get-VppLicense).Count)|`$(@(Get-VppToken).Count)`""
        $second | Should -Be "completed|$storeId|$licenses|1"

        # This session, on the same store, is the same management system too.
        (Connect-VppStore -ConnectionString $Connection -Key $Key).StoreId | Should -Be $storeId
        @(Get-VppLicense).Count | Should -Be ([int] $licenses)
    }

    It 'lets a vppps_reader login read everything and refuses any change before anything is written or sent' {
        $token = $Sim.TokenFiles | Select-Object -First 1
        Connect-VppStore -ConnectionString $Connection -Key $Key | Out-Null
        Add-VppToken -Path $token -AppleId 'vpp@riversideusd.example' -AccountType Education | Out-Null
        Sync-VppToken -All | Out-Null
        $journal = @(Get-VppAuditLog).Count

        $reader = New-TestPostgresLogin $Connection 'vppps_reader'
        $info = Connect-VppStore -ConnectionString $reader -Key $Key
        $info.ReadOnly | Should -BeTrue
        @(Get-VppToken).Count | Should -Be 1
        @(Get-VppLicense).Count | Should -BeGreaterThan 0
        Test-VppToken | Should -Not -BeNullOrEmpty
        # Export-* too: a report writes a file, not the store.
        $report = Join-Path $env:VPPPS_HOME 'licenses.csv'
        Export-VppLicenseReport -Path $report -ErrorAction Stop
        (Import-Csv $report) | Should -Not -BeNullOrEmpty
        { Sync-VppToken -All -ErrorAction Stop } | Should -Throw -ErrorId 'VppStoreReadOnly,*' -ExpectedMessage '*only read*'
        { New-VppGroup -Name 'Auditors' -Kind User -ErrorAction Stop } | Should -Throw -ErrorId 'VppStoreReadOnly,*'
        { Set-VppConfiguration -TokenCap 10 -ErrorAction Stop } | Should -Throw -ErrorId 'VppStoreReadOnly,*'

        # A change with -WhatIf is refused as one without, before any "What if:" (another pwsh: that text goes to the host).
        $whatIf = Invoke-TestPwsh -Environment (Get-AdminEnvironment $reader $KeyText) -Script (
            'Import-Module $env:VPPPS_TEST_MODULE; ' +
            'foreach ($change in { Set-VppAssignment -App Keynote -Group Cart -Intent Required -WhatIf }, { New-VppGroup -Name Auditors -Kind User -WhatIf }, { Remove-VppToken -Name * -WhatIf }) ' +
            '{ try { & $change -ErrorAction Stop; "no refusal" } catch { $_.FullyQualifiedErrorId.Split(",")[0] } }')
        $whatIf.Output | Should -Not -Match 'What if'
        @($whatIf.Output -split '\r?\n' | Where-Object { $_ -eq 'VppStoreReadOnly' }).Count | Should -Be 3 -Because "$($whatIf.Output) $($whatIf.Errors)"

        # Asking Apple about a token it revoked: nothing is recorded (this login may only read), and what Apple said is told.
        Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
        Invoke-SimControl $Sim "locations/$((Get-VppToken).LocationName)/revoke" | Out-Null
        $findings = Test-VppToken -Online -ErrorAction Stop
        ($findings | Where-Object Check -eq 'State').Message | Should -Match 'revoked'
        (Get-VppToken).State.ToString() | Should -Be 'valid'

        Connect-VppStore -ConnectionString $Connection -Key $Key | Out-Null
        @(Get-VppAuditLog).Count | Should -Be $journal
        Get-VppGroup -Name 'Auditors' -ErrorAction Ignore | Should -BeNullOrEmpty
    }

    It 'refuses a wrong key and a missing key with what to do, before anything is read' {
        Connect-VppStore -ConnectionString $Connection -Key $Key | Out-Null
        Connect-VppStore -Default | Out-Null
        $wrong = Invoke-TestPwsh -Environment (Get-AdminEnvironment $Connection (New-VppStoreKey)) -Script 'Import-Module $env:VPPPS_TEST_MODULE; try { Get-VppToken -ErrorAction Stop } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }'
        $wrong.Output | Should -Match 'VppStoreKeyWrong'
        $wrong.Output | Should -Match 'VPPPS_STORE_KEY'
        $missing = Invoke-TestPwsh -Environment (Get-AdminEnvironment $Connection $null) -Script 'Import-Module $env:VPPPS_TEST_MODULE; try { Get-VppToken -ErrorAction Stop } catch { $_.FullyQualifiedErrorId; $_.Exception.Message }'
        $missing.Output | Should -Match 'VppStoreKeyMissing'
        $missing.Output | Should -Match 'New-VppStoreKey'
        foreach ($text in $wrong.Output, $wrong.Errors, $missing.Output, $missing.Errors) { $text | Should -Not -Match ([regex]::Escape($Password)) }
    }

    It 'saves a store for the user with Set-VppConfiguration -Store, password and key encrypted, and -Reset Store goes back' {
        $home1 = New-TestHome
        $environment = @{ HOME = $home1; VPPPS_HOME = $null; VPPPS_STORE = $null; VPPPS_STORE_KEY = $null }
        $save = Invoke-TestPwsh -Environment ($environment + @{ K = $KeyText; C = $Connection }) -Script 'Import-Module $env:VPPPS_TEST_MODULE; Set-VppConfiguration -Store $env:C -StoreKey (ConvertTo-SecureString $env:K -AsPlainText -Force) -Confirm:$false -ErrorAction Stop; "saved"'
        $save.Output.Trim() | Should -Be 'saved' -Because $save.Errors
        $saved = Get-Content -Raw (Join-Path $home1 '.local/share/VppPS/store.json')
        $saved | Should -Not -Match ([regex]::Escape($Password))
        $saved | Should -Not -Match ([regex]::Escape($KeyText))

        # A later pwsh of the same user (a scheduled sync) is on the saved store without being told.
        $later = Invoke-TestPwsh -Environment $environment -Script 'Import-Module $env:VPPPS_TEST_MODULE; $s = Get-VppStore; "$($s.Kind)|$($s.Source)|$($s.KeyMatches)"'
        $later.Output.Trim() | Should -Be 'PostgreSql|Configuration|True' -Because $later.Errors
        $reset = Invoke-TestPwsh -Environment $environment -Script 'Import-Module $env:VPPPS_TEST_MODULE; Set-VppConfiguration -Reset Store -Confirm:$false; $s = Get-VppStore; "$($s.Kind)|$($s.Source)"'
        $reset.Output.Trim() | Should -Be 'Sqlite|Default' -Because $reset.Errors
    }

    It 'refuses a store it cannot use with a clear error and leaves the session where it was' {
        $before = (Get-VppStore).Location
        { Connect-VppStore -ConnectionString ($Connection -replace 'Password=[^;]*', 'Password=wrong') -Key $Key -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppStoreLoginFailed,*'
        { Connect-VppStore -ConnectionString ($Connection -replace 'Database=[^;]*', 'Database=no_such_db') -Key $Key -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppStore*,*'
        { Connect-VppStore -ConnectionString 'not a store' -ErrorAction Stop } | Should -Throw -ErrorId 'VppStoreConnectionInvalid,*'
        { Connect-VppStore -ConnectionString $Connection -Key (ConvertTo-SecureString 'c2hvcnQ=' -AsPlainText -Force) -ErrorAction Stop } | Should -Throw -ErrorId 'VppStoreKeyInvalid,*'
        (Get-VppStore).Location | Should -Be $before
    }
    It 'Copy-VppState moves a one-admin installation into PostgreSQL and back, with the same plan, identity and tokens' {
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
        $Sim.TokenFiles | Add-VppToken -AppleId 'vpp@riversideusd.example' -AccountType Education | Out-Null
        Sync-VppToken -All | Out-Null
        New-VppGroup -Name 'Cart' -Kind Device | Out-Null
        1..6 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'CPY{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'Cart'
        Get-VppLicensedApp -Name Keynote -Token 'Riverside*' | Set-VppAssignment -Group 'Cart' -Intent Required | Out-Null
        7..9 | ForEach-Object { [pscustomobject]@{ SerialNumber = 'CPY{0:D5}' -f $_ } } | Add-VppGroupMember -Group 'Cart'
        $plan = @(Get-VppAssignmentPlan | ForEach-Object { "$($_.Action)|$($_.AdamId)|$($_.Target)" } | Sort-Object)
        $plan | Should -Not -BeNullOrEmpty
        $storeId = (Get-VppStore).StoreId
        $licenses = @(Get-VppLicense).Count

        Copy-VppState -Destination $Connection -Key $Key -WhatIf | Should -BeNullOrEmpty
        $copy = Copy-VppState -Destination $Connection -Key $Key -Confirm:$false
        $copy.Copied | Should -BeTrue
        $copy.DestinationHeldState | Should -BeFalse
        ($copy.Tables | Where-Object Table -eq 'licenses').Rows | Should -Be $licenses
        $copy.StoreId | Should -Be $storeId
        { Copy-VppState -Destination $Connection -Key $Key -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'VppCopyDestinationHoldsState,*'

        (Connect-VppStore -ConnectionString $Connection -Key $Key).StoreId | Should -Be $storeId
        @(Get-VppAssignmentPlan | ForEach-Object { "$($_.Action)|$($_.AdamId)|$($_.Target)" } | Sort-Object) | Should -Be $plan
        @(Get-VppLicense).Count | Should -Be $licenses
        # The same database through another login is still this store: never a destination of its own copy.
        $operator = New-TestPostgresLogin $Connection 'vppps_operator'
        { Copy-VppState -Destination $operator -Key $Key -Force -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'VppCopySameStore,*'
        (Test-VppToken | Where-Object Severity -eq 'Error') | Should -BeNullOrEmpty

        # And back to a folder, with the same plan. -WhatIf -Verbose lists the rows of each table it would copy:
        # those the copy then copies, every row once, and not the source's key check.
        $folder = New-TestHome
        $survey = @(Copy-VppState -Destination $folder -WhatIf -Verbose 4>&1 | ForEach-Object { "$_" } | Where-Object { $_ -like '*rows to copy' })
        $survey | Should -Contain "licenses: $('{0:N0}' -f $licenses) rows to copy"
        $back = Copy-VppState -Destination $folder -Confirm:$false
        $back.Copied | Should -BeTrue
        @($back.Tables | ForEach-Object { "$($_.Table): $('{0:N0}' -f $_.Rows) rows to copy" }) | Should -Be $survey
        $settings = [long] (Invoke-TestPostgresSql $Connection "SELECT count(*) FROM vppps.settings WHERE name <> 'StoreKeyCheck'")
        ($back.Tables | Where-Object Table -eq 'settings').Rows | Should -Be $settings
        $back.Rows | Should -Be ($back.Tables | Measure-Object -Property Rows -Sum).Sum
        (Connect-VppStore -Folder $folder).StoreId | Should -Be $storeId
        @(Get-VppAssignmentPlan | ForEach-Object { "$($_.Action)|$($_.AdamId)|$($_.Target)" } | Sort-Object) | Should -Be $plan

        # The token contents were encrypted again with the store key: a sync on the PostgreSQL store reads
        # them, Apple still knows this management system, and the plan is applied there.
        Connect-VppStore -ConnectionString $Connection -Key $Key | Out-Null
        @(Sync-VppToken -All | ForEach-Object { "$($_.Status)" } | Sort-Object -Unique) | Should -Be @('completed')
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
        @(Get-VppLicense -Token 'Riverside*' | Where-Object Target -like 'CPY*').Count | Should -Be 9
    }
}

Describe 'Several machines on one PostgreSQL store: leases, the last licenses, a holder killed' -Skip:$NoServer {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'SimulatorHelpers.psm1') -Force
        $script:Location = 'Race School'
        # One app with 10 licenses for two carts of 8 iPads, a big app for the killed runs, one licensed outside VppPS.
        $script:Scenario = Join-Path ([IO.Path]::GetTempPath()) "vppps-race-$([guid]::NewGuid().ToString('N')).json"
        @{ pageSize = 1000; locations = @(@{
            orgName = 'Race District'; locationName = $Location; uId = '5550000000000091'; countryISO2ACode = 'US'
            assets = @(
                @{ adamId = '100000001'; name = 'Maps for Schools'; bundleId = 'com.example.maps'; productType = 'App'; totalCount = 10 }
                @{ adamId = '100000004'; name = 'Big App'; bundleId = 'com.example.big'; productType = 'App'; totalCount = 1000 }
                @{ adamId = '100000005'; name = 'Notes'; bundleId = 'com.example.notes'; productType = 'App'; totalCount = 50 })
            assignments = @(1..3 | ForEach-Object { @{ adamId = '100000005'; serialNumber = 'OUTSIDE{0:D5}' -f $_ } }) }) } |
            ConvertTo-Json -Depth 8 | Set-Content $Scenario

        function Get-SimCount([string] $adamId) {
            @((Invoke-SimControl $Sim "locations/$Location/assignments" -Method Get) | Where-Object adamId -eq $adamId).Count
        }
    }
    AfterAll { Remove-Item $Scenario -ErrorAction Ignore }

    BeforeEach {
        Skip-OnPostgres 'these tests choose their stores themselves (databases of their own)'
        Stop-VppSimulator
        $env:VPPPS_HOME = New-TestHome
        $script:Sim = Start-VppSimulator -Scenario $Scenario
        $script:Connection = New-TestPostgresDatabase $env:VPPPS_TEST_POSTGRES
        $script:KeyText = New-VppStoreKey
        Connect-VppStore -ConnectionString $Connection -Key (ConvertTo-SecureString $KeyText -AsPlainText -Force) | Out-Null
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
        $Sim.TokenFiles | Add-VppToken -AppleId 'vpp@race.example' -AccountType Education | Out-Null
        Sync-VppToken -All | Out-Null
        foreach ($cart in 'Cart A', 'Cart B') {
            New-VppGroup -Name $cart -Kind Device | Out-Null
            $prefix = $cart -replace '\W', ''
            1..8 | ForEach-Object { [pscustomobject]@{ SerialNumber = '{0}{1:D4}' -f $prefix.ToUpperInvariant(), $_ } } | Add-VppGroupMember -Group $cart
        }
        $script:Admin = @{
            HOME = $null; VPPPS_HOME = $null; VPPPS_STORE = $Connection; VPPPS_STORE_KEY = $KeyText
            VPPPS_SERVICE_URL = $Sim.ServiceUrl; VPPPS_STATUS_POLL_INTERVAL_SECONDS = '0'; VPPPS_RETRY_BASE_DELAY_MS = '5'
        }
    }
    AfterEach { Stop-TestChildren; Connect-VppStore -Default | Out-Null }

    It 'never hands out more licenses than owned when two admins assign the last ones at the same moment' {
        $children = foreach ($cart in 'Cart A', 'Cart B') {
            $environment = $Admin.Clone(); $environment.HOME = New-TestHome
            Start-TestPwsh -Environment $environment -Script "Import-Module `$env:VPPPS_TEST_MODULE; Set-VppAssignment -App 'Maps for Schools' -Group '$cart' -Intent Required -AllowShortage -WarningAction SilentlyContinue | Out-Null"
        }
        foreach ($child in $children) { $child.WaitForExit(120000) | Should -BeTrue; $child.ExitCode | Should -Be 0 -Because $child.StandardError.ReadToEnd() }
        # Whatever the order, the second admin's run waited for or saw the first one's licenses.
        Sync-VppToken -All | Out-Null
        Get-SimCount '100000001' | Should -Be 10
        @(Get-VppLicense -App 'Maps for Schools').Count | Should -Be 10
        @(Get-VppAssignmentPlan | Where-Object Action -eq 'WaitForLicense').Count | Should -Be 6
    }

    It 'tells a second sync who holds the token, takes over from a holder killed mid-sync, and one clean sync matches Apple' {
        Invoke-SimControl $Sim "locations/$Location/faults" -Body @{ kind = 'slow'; delayMs = 120000; path = 'assets'; count = 1 } | Out-Null
        $environment = $Admin.Clone(); $environment.HOME = New-TestHome
        $holder = Start-TestPwsh -Environment $environment -Script 'Import-Module $env:VPPPS_TEST_MODULE; Sync-VppToken -All -Full | Out-Null'
        Wait-Until -Because 'the other machine to be inside its sync' -Condition { (Invoke-SimControl $Sim "locations/$Location/requests" -Method Get).inFlight -ge 1 }

        { Sync-VppToken -All -ErrorAction Stop } | Should -Throw -ErrorId 'VppSyncInProgress,*' -ExpectedMessage '*since*'

        $holder.Kill($true); $holder.WaitForExit()
        Invoke-SimControl $Sim "locations/$Location/faults" -Method Delete | Out-Null
        @(Sync-VppToken -All | ForEach-Object { "$($_.Status)" }) | Should -Be @('completed')
        @(Get-VppLicense | ForEach-Object { "$($_.AdamId)|$($_.Target)" } | Sort-Object) |
            Should -Be @((Invoke-SimControl $Sim "locations/$Location/assignments" -Method Get) | Where-Object adamId | ForEach-Object { "$($_.adamId)|$($_.serialNumber)" } | Sort-Object)
        @(Get-VppLicense).Count | Should -Be 3
    }

    It 'finishes what a holder killed mid-apply had sent to Apple: nothing lost, nothing given twice' {
        Invoke-SimControl $Sim "locations/$Location/faults" -Body @{ kind = 'stayPending'; path = 'assets/associate' } | Out-Null
        $environment = $Admin.Clone(); $environment.HOME = New-TestHome
        $holder = Start-TestPwsh -Environment $environment -Script "Import-Module `$env:VPPPS_TEST_MODULE; Set-VppAssignment -App 'Big App' -Group 'Cart A' -Intent Required | Out-Null"
        Wait-Until -Because 'the associate to be sent and journaled' -Condition {
            [int] (Invoke-TestPostgresSql $Connection "SELECT count(*) FROM vppps.pending_operations WHERE event_id IS NOT NULL") -ge 1 }

        $holder.Kill($true); $holder.WaitForExit()
        Invoke-SimControl $Sim "locations/$Location/events/release" | Out-Null
        @(Sync-VppToken -All | ForEach-Object { "$($_.Status)" }) | Should -Be @('completed')
        Get-SimCount '100000004' | Should -Be 8
        @(Get-VppLicense -App 'Big App').Count | Should -Be 8
        Get-VppAssignmentPlan | Should -BeNullOrEmpty
    }
}
