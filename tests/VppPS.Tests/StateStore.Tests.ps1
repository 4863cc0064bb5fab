BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
}
AfterAll { Stop-TestChildren; Remove-TestHome }

Describe 'The state database' {
    BeforeEach { $env:VPPPS_HOME = New-TestHome }

    It 'is created under VPPPS_HOME, in WAL mode, healthy' {
        $health = Test-VppDatabase
        $health.DatabasePath | Should -Be (Join-Path $env:VPPPS_HOME 'vppps.db')
        $health.IsHealthy | Should -BeTrue
        $health.JournalMode | Should -Be 'wal'
        $health.SchemaVersion | Should -BeGreaterThan 0
    }

    It 'refuses, with a clear error, a database written by a newer VppPS' {
        $null = Test-VppDatabase
        # The engine lives in VppPS's own load context, so reach it by reflection rather than by type name.
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VppPS.Engine' }
        $connection = $engine.GetType('VppPS.Engine.VppSession')::Current().Store.OpenConnection()
        try { $command = $connection.CreateCommand(); $command.CommandText = 'PRAGMA user_version = 999'; $null = $command.ExecuteNonQuery() }
        finally { $connection.Dispose() }
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
try { Get-VppConfiguration -ErrorAction Stop; 'no error' } catch { 'id:' + $_.FullyQualifiedErrorId; 'message:' + $_.Exception.Message }
'@
        $result.Output | Should -Match 'id:VppStateFromNewerVersion'
        $result.Output | Should -Match 'newer VppPS'
        $result.Output | Should -Match 'Update the VppPS module'
    }

    It 'is shared safely by several pwsh processes writing at once' {
        $script = @'
Import-Module $env:VPPPS_TEST_MODULE
$ErrorActionPreference = 'Stop'
1..25 | ForEach-Object { Set-VppConfiguration -SyncIntervalHours (($_ % 24) + 1) -Confirm:$false }
'done'
'@
        $children = 1..3 | ForEach-Object { Start-TestPwsh -Script $script -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } }
        foreach ($child in $children) {
            $out = $child.StandardOutput.ReadToEndAsync(); $err = $child.StandardError.ReadToEndAsync()
            $child.WaitForExit(120000) | Should -BeTrue
            $child.WaitForExit()
            $err.Result | Should -BeNullOrEmpty
            $out.Result | Should -Match 'done'
        }
        (Get-VppAuditLog -Command Set-VppConfiguration).Count | Should -Be 75
        (Test-VppDatabase).IsHealthy | Should -BeTrue
    }

    It 'survives a pwsh killed in the middle of writing' {
        $child = Start-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
while ($true) { Set-VppConfiguration -TokenCap (Get-Random -Minimum 1 -Maximum 1000) -Confirm:$false }
'@
        Wait-Until -Because 'the child to have written' -Condition { (Get-VppAuditLog -First 50).Count -ge 20 }
        $child.Kill($true)
        $child.WaitForExit()
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script 'Import-Module $env:VPPPS_TEST_MODULE; (Test-VppDatabase).IntegrityCheck; (Get-VppConfiguration).TokenCap'
        ($result.Output -split "`n")[0].Trim() | Should -Be 'ok'
        $result.Errors | Should -BeNullOrEmpty
    }
}
