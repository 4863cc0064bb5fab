BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_HOME = New-TestHome
}
AfterAll { Stop-VppSimulator; Remove-Item $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore }

Describe 'The simulator across sessions' {
    It 'keeps the tokens added from its files valid after it restarts with the same scenario' {
        $first = Start-VppSimulator -Scenario Demo
        $startedBy = [DateTime]::UtcNow.ToString('s')
        $first.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
        $added = @($first.TokenFiles | ForEach-Object { (Get-Content -Raw $_.FullName).Trim() })
        (Sync-VppToken -All).Status | Should -Be @('completed', 'completed', 'completed')
        Stop-VppSimulator
        Test-Path $first.TokenDirectory | Should -BeFalse

        # Its token files' expiry is relative to its start: a start in a later second writes other files.
        Wait-Until { [DateTime]::UtcNow.ToString('s') -ne $startedBy } -Because 'the next second'
        $second = Start-VppSimulator -Scenario Demo
        $rewritten = @($second.TokenFiles | ForEach-Object { (Get-Content -Raw $_.FullName).Trim() })
        $rewritten | Should -Not -Be $added

        $runs = Sync-VppToken -All -ErrorAction Stop
        $runs.Status | Should -Be @('completed', 'completed', 'completed')
        (Get-VppToken).State | Should -Be @('valid', 'valid', 'valid')
        Get-VppLicensedApp -Name Keynote -Token 'Riverside High School' | Should -Not -BeNullOrEmpty
        Stop-VppSimulator
    }

    It 'creates again the VPP users it had made, which the restarted simulator no longer knows, and gives their licenses' {
        Remove-Item $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore
        $env:VPPPS_HOME = New-TestHome
        $first = Start-VppSimulator -Scenario Demo
        $first.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
        Sync-VppToken -All | Out-Null
        New-VppGroup -Name Staff -Kind User | Out-Null
        'ann', 'bob' | ForEach-Object { [pscustomobject]@{ UserPrincipalName = "$_@riversideusd.example"; Mail = "$_@riversideusd.example" } } | Add-VppGroupMember -Group Staff
        (Set-VppAssignment -App Keynote -Token 'Riverside High School' -Group Staff -Intent Required -LicenseType User).LicensedCount | Should -Be 2
        $before = @(Get-VppUser | Where-Object ManagedByVppPS | ForEach-Object ClientUserId)
        $before | Should -HaveCount 2
        Stop-VppSimulator

        # The restarted simulator knows only its scenario: the VPP users VppPS created, and their licenses, are gone.
        Start-VppSimulator -Scenario Demo | Out-Null
        $run = Sync-VppToken -Name 'Riverside High School' -WarningVariable warned -WarningAction SilentlyContinue -ErrorAction Stop
        $run.Status | Should -Be 'completed'
        "$warned" | Should -Match 'no longer knows 2 VPP user'
        $run.Applied.UsersCreated | Should -Be 2
        $run.Applied.Associated | Should -Be 2
        $run.Applied.Failed | Should -Be 0
        $after = @(Get-VppUser | Where-Object ManagedByVppPS | ForEach-Object ClientUserId)
        $after | Should -HaveCount 2
        $after | Where-Object { $_ -in $before } | Should -BeNullOrEmpty
        @(Get-VppLicense -App Keynote -Token 'Riverside High School' | Where-Object Target -in $after) | Should -HaveCount 2
        (Get-VppAssignment -Group Staff).LicensedCount | Should -Be 2
        # The next sync has nothing left to retry.
        (Sync-VppToken -Name 'Riverside High School' -ErrorAction Stop).Applied.Failed | Should -Be 0
        Stop-VppSimulator
    }
}
