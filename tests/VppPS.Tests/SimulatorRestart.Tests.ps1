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
}
