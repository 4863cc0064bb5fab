# Names that match nothing and runs with nothing to do behave alike everywhere: an error for a
# name without wildcards that matches nothing (saying what is wrong: the token, a custom B2B app,
# the name), a warning for nothing to do, never silence. And an unreachable Apple is named, with
# its cause, once per host rather than retried token after token.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $env:VPPPS_RETRY_BASE_DELAY_MS = '5'

    # Runs a command and returns the ids of the errors it wrote and what it wrote, without stopping.
    function Invoke-Collecting([scriptblock] $command) {
        $all = @(& { $ErrorActionPreference = 'Continue'; & $command } 2>&1)
        $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        [pscustomobject]@{
            Output = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
            ErrorIds = @($errors | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*$' })
            Errors = $errors
            Messages = @($errors | ForEach-Object { $_.Exception.Message })
        }
    }
}
AfterAll { Stop-VppSimulator; Stop-TestChildren; Remove-TestHome; Remove-Item Env:VPPPS_RETRY_BASE_DELAY_MS, Env:VPPPS_SERVICE_URL -ErrorAction Ignore }

Describe 'With no token at all' {
    BeforeAll { $env:VPPPS_HOME = New-TestHome }

    It 'Sync-VppToken -All warns that there is nothing to sync' {
        $warnings = $null
        Sync-VppToken -All -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$warnings" | Should -Match 'no token to sync'
    }

    It 'Test-VppToken -Quiet is $false, with a warning: a runbook that lost its state alerts' {
        $warnings = $null
        Test-VppToken -Quiet -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeExactly $false
        "$warnings" | Should -Match 'no token to test'
    }

    It 'Get-VppLicensedApp, Get-VppLicense and Get-VppUser warn once that nothing was synced, instead of printing nothing' {
        foreach ($command in 'Get-VppLicensedApp', 'Get-VppLicensedBook', 'Get-VppLicense', 'Get-VppUser') {
            $warnings = $null
            & $command -WarningVariable warnings -WarningAction SilentlyContinue | Should -BeNullOrEmpty
            @($warnings).Count | Should -Be 1 -Because "$command warns once"
            "$warnings" | Should -Match 'Sync-VppToken -All' -Because "$command says what to do"
        }
    }
}

Describe 'Names that match nothing' {
    BeforeAll {
        $env:VPPPS_HOME = New-TestHome
        Set-VppConfiguration -StatusPollIntervalSeconds 0 -Confirm:$false
        $script:Sim = Start-VppSimulator -Scenario Demo
        $Sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
        Sync-VppToken -All | Out-Null
        New-VppGroup -Name 'Cart B' -Kind Device | Out-Null
    }
    AfterAll { Stop-VppSimulator }

    It 'an app, book or license query for a name without wildcards that matches nothing is an error; a pattern that matches nothing is not' {
        (Invoke-Collecting { Get-VppLicensedApp -Name Keynot }).ErrorIds | Should -Be @('VppAppNotFound')
        (Invoke-Collecting { Get-VppLicensedBook -Name Keynote }).ErrorIds | Should -Be @('VppAppNotFound')
        (Invoke-Collecting { Get-VppLicensedApp -AdamId 1 }).ErrorIds | Should -Be @('VppAppNotFound')
        (Invoke-Collecting { Get-VppLicense -App Keynot }).ErrorIds | Should -Be @('VppAppNotFound')
        (Invoke-Collecting { Get-VppLicensedApp -Name 'Keynot*' }).ErrorIds | Should -BeNullOrEmpty
        # Found names still list what they match, next to the error for the one that matches nothing.
        $mixed = Invoke-Collecting { Get-VppLicensedApp -Name Keynote, Keynot -Token 'Riverside*' }
        $mixed.ErrorIds | Should -Be @('VppAppNotFound')
        @($mixed.Output).Count | Should -Be 1
        # An app nobody holds a license of lists nothing, without an error.
        (Invoke-Collecting { Get-VppLicense -App Numbers }).ErrorIds | Should -BeNullOrEmpty
    }

    It 'an unknown token name is said to be the token, not the app' {
        $result = Invoke-Collecting { Get-VppLicensedApp -Name Keynote -Token Riversid }
        $result.ErrorIds | Should -Be @('VppTokenNotFound')
        $result.Messages[0] | Should -Match "No token is named 'Riversid'"
        (Invoke-Collecting { Get-VppLicense -App Keynote -Token Riversid }).ErrorIds | Should -Be @('VppTokenNotFound')
        (Invoke-Collecting { Get-VppUser -Token Riversid }).ErrorIds | Should -Be @('VppTokenNotFound')
        (Invoke-Collecting { Get-VppAssignment -Token Riversid }).ErrorIds | Should -Be @('VppTokenNotFound')
        (Invoke-Collecting { Get-VppSyncHistory -Token Riversid }).ErrorIds | Should -Be @('VppTokenNotFound')
        $assign = Invoke-Collecting { Set-VppAssignment -App Keynote -Token Riversid -Group 'Cart B' -Intent Required }
        $assign.ErrorIds | Should -Be @('VppTokenNotFound')
        $assign.Messages[0] | Should -Not -Match 'No synced app'
    }

    It 'a custom B2B app is said to be skipped by design' {
        $listed = Invoke-Collecting { Get-VppLicensedApp -Name 'Riverside Hall Pass' }
        $listed.ErrorIds | Should -Be @('VppAppSkipped')
        $listed.Messages[0] | Should -Match 'custom B2B app.*by design'
        $assign = Invoke-Collecting { Set-VppAssignment -App 'Riverside Hall Pass' -Token 'Riverside High School' -Group 'Cart B' -Intent Required }
        $assign.ErrorIds | Should -Be @('VppAppSkipped')
        $assign.Messages[0] | Should -Match 'custom B2B app.*by design'
    }

    It 'VPP users, devices, directory users and groups that match nothing are errors too' {
        (Invoke-Collecting { Get-VppUser -Email nobody@riversideusd.org }).ErrorIds | Should -Be @('VppUserNotFound')
        (Invoke-Collecting { Get-VppUser -Email 'nobody*' }).ErrorIds | Should -BeNullOrEmpty
        (Invoke-Collecting { Get-VppLicense -User nobody@riversideusd.org }).ErrorIds | Should -Be @('VppUserNotFound')
        (Invoke-Collecting { Get-VppLicense -Device NOSUCHSERIAL }).ErrorIds | Should -Be @('VppDeviceNotFound')
        (Invoke-Collecting { Get-VppLicense -Device F9FZQ1A1JF8J }).ErrorIds | Should -BeNullOrEmpty
        (Invoke-Collecting { Get-VppAssignment -Group 'Cart Z' }).ErrorIds | Should -Be @('VppGroupNotFound')
        (Invoke-Collecting { Get-VppAssignment -Group 'Cart B' }).ErrorIds | Should -BeNullOrEmpty
        (Invoke-Collecting { Get-VppDirectoryUser -UserPrincipalName nobody@riversideusd.org }).ErrorIds | Should -Be @('VppDirectoryUserNotFound')
        (Invoke-Collecting { Get-VppDevice -SerialNumber NOSUCHSERIAL }).ErrorIds | Should -Be @('VppDeviceNotFound')
        (Invoke-Collecting { Get-VppDevice -SerialNumber 'NOSUCH*' }).ErrorIds | Should -BeNullOrEmpty
    }
}

Describe 'Apple unreachable' {
    BeforeAll {
        $env:VPPPS_HOME = New-TestHome
        $sim = Start-VppSimulator -Scenario Demo
        $sim.TokenFiles | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education -WarningAction SilentlyContinue | Out-Null
        $script:DeadUrl = $sim.ServiceUrl
        Stop-VppSimulator
        # Nothing listens there any more: every connection is refused.
        $env:VPPPS_SERVICE_URL = $DeadUrl
    }
    AfterAll { Remove-Item Env:VPPPS_SERVICE_URL -ErrorAction Ignore }

    It 'names the host and the cause, does not retry a refused connection, and reports the other tokens without trying them' {
        $errors = $null
        $verbose = Sync-VppToken -All -ErrorVariable errors -ErrorAction SilentlyContinue -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        $hostPort = ([uri] $DeadUrl).Authority
        @($errors).Count | Should -Be 3
        @($errors | ForEach-Object { $_.FullyQualifiedErrorId -replace ',.*$' } | Sort-Object -Unique) | Should -Be @('VppAppleUnreachable')
        $errors[0].Exception.Message | Should -Match ([regex]::Escape($hostPort))
        $errors[0].Exception.Message | Should -Match 'connection was refused'
        foreach ($other in $errors[1..2]) { $other.Exception.Message | Should -Match "was not synced: Apple could not be reached at $([regex]::Escape($hostPort))" }
        # One attempt in all: no retry of a refused connection, no attempt for the other tokens.
        @($verbose | Where-Object { $_ -match '-> failed' }).Count | Should -Be 1
        @($verbose | Where-Object { $_ -match '^Retrying' }).Count | Should -Be 0
    }
}
