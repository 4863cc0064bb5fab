BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
}
AfterAll { Stop-TestChildren; Remove-TestHome }

Describe 'Get-VppConfiguration and Set-VppConfiguration' {
    BeforeEach { $env:VPPPS_HOME = New-TestHome }
    AfterEach { Remove-Item Env:VPPPS_TOKEN_CAP, Env:VPPPS_SERVICE_URL -ErrorAction Ignore }

    It 'has the documented defaults' {
        $c = Get-VppConfiguration
        $c.ServiceUrl | Should -Be 'https://vpp.itunes.apple.com/mdm/v2'
        $c.TokenCap | Should -Be 256
        $c.SyncIntervalHours | Should -Be 12
        $c.StatusPollIntervalSeconds | Should -Be 30
        # A PostgreSQL store has no data folder.
        $c.DataFolder | Should -Be $(if (Test-PostgresRun) { $null } else { $env:VPPPS_HOME })
        $c.Sources['TokenCap'] | Should -Be 'Default'
    }

    It 'persists settings in the store, for other processes too' {
        Set-VppConfiguration -TokenCap 3000 -ServiceUrl 'http://127.0.0.1:9/mdm/v2/' -Confirm:$false
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script 'Import-Module $env:VPPPS_TEST_MODULE; $c = Get-VppConfiguration; "$($c.TokenCap)|$($c.ServiceUrl)|$($c.Sources.TokenCap)"'
        $result.Output.Trim() | Should -Be '3000|http://127.0.0.1:9/mdm/v2|Database'
    }

    It 'lets an environment variable override a saved setting' {
        Set-VppConfiguration -TokenCap 10 -Confirm:$false
        $env:VPPPS_TOKEN_CAP = '77'
        (Get-VppConfiguration).TokenCap | Should -Be 77
        (Get-VppConfiguration).Sources['TokenCap'] | Should -Be 'Environment'
    }

    It 'reports a bad environment variable with what to fix' {
        $env:VPPPS_TOKEN_CAP = 'lots'
        { Get-VppConfiguration -ErrorAction Stop } | Should -Throw -ErrorId 'VppBadEnvironmentSetting,VppPS.Configuration.GetVppConfigurationCommand' -ExpectedMessage '*VPPPS_TOKEN_CAP*'
    }

    It 'refuses a service URL that is not a URL and changes nothing' {
        { Set-VppConfiguration -ServiceUrl 'not a url' -ErrorAction Stop } | Should -Throw -ErrorId 'VppBadSetting,VppPS.Configuration.SetVppConfigurationCommand'
        (Get-VppConfiguration).ServiceUrl | Should -Be 'https://vpp.itunes.apple.com/mdm/v2'
        Get-VppAuditLog | Should -BeNullOrEmpty
    }

    It 'changes nothing with -WhatIf' {
        Set-VppConfiguration -TokenCap 5 -WhatIf
        (Get-VppConfiguration).TokenCap | Should -Be 256
    }

    It 'puts a setting back to its default with -Reset' {
        Set-VppConfiguration -SyncIntervalHours 6 -Confirm:$false
        Set-VppConfiguration -Reset SyncIntervalHours -Confirm:$false
        (Get-VppConfiguration).SyncIntervalHours | Should -Be 12
    }

    It 'moves the data folder when VPPPS_HOME is not set, keeping the state' {
        Skip-OnPostgres 'moves the SQLite data folder; a PostgreSQL store has none'
        $default = New-TestHome
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = ''; HOME = $default; XDG_DATA_HOME = (Join-Path $default 'data') } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
$ErrorActionPreference = 'Stop'
Set-VppConfiguration -TokenCap 42 -Confirm:$false
$target = Join-Path $env:HOME 'elsewhere'
$c = Set-VppConfiguration -DataFolder $target -Confirm:$false -PassThru
"$($c.DataFolder)|$($c.TokenCap)|$($c.Sources.DataFolder)"
'@
        $result.Errors | Should -BeNullOrEmpty
        $result.Output.Trim() | Should -Be "$(Join-Path $default 'elsewhere')|42|Configuration"
        if (-not $IsWindows) {
            # The copy is as private as the original, so opening it has nothing to tighten (no warning above).
            (Get-Item (Join-Path $default 'elsewhere')).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
            (Get-Item (Join-Path $default 'elsewhere/vppps.db')).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        }
    }
}

Describe 'Get-VppAuditLog' {
    BeforeAll {
        $env:VPPPS_HOME = New-TestHome
        1..5 | ForEach-Object { Set-VppConfiguration -TokenCap (100 + $_) -Confirm:$false }
        Set-VppConfiguration -SyncIntervalHours 8 -Confirm:$false
    }

    It 'records who, where, which command, target and summary, newest first' {
        $entries = Get-VppAuditLog
        $entries | Should -HaveCount 6
        $entries[0].Target | Should -Be 'setting:SyncIntervalHours'
        $entries[0].Command | Should -Be 'Set-VppConfiguration'
        $entries[0].UserName | Should -Be ([Environment]::UserName)
        $entries[0].HostName | Should -Be ([Environment]::MachineName)
        $entries[0].Summary | Should -Be 'SyncIntervalHours set to 8'
    }

    It 'filters by target wildcard and by time, and pages' {
        (Get-VppAuditLog -Target 'setting:Token*').Count | Should -Be 5
        (Get-VppAuditLog -Since (Get-Date).AddMinutes(5)) | Should -BeNullOrEmpty
        (Get-VppAuditLog -Since (Get-Date).AddMinutes(-5)).Count | Should -Be 6
        $page = Get-VppAuditLog -Target 'setting:Token*' -Skip 1 -First 2
        $page.Summary | Should -Be @('TokenCap set to 104', 'TokenCap set to 103')
    }

    It 'fits a 120-column console' {
        $lines = Get-VppAuditLog | Format-Table | Out-String -Width 120 -Stream
        ($lines | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
    }
}
