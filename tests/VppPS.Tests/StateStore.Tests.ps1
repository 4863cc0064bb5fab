BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
}
AfterAll { Stop-TestChildren; Remove-TestHome }

Describe 'The state database' {
    BeforeEach { $env:VPPPS_HOME = New-TestHome }

    It 'is created under VPPPS_HOME, in WAL mode, healthy' {
        Skip-OnPostgres "the database file under VPPPS_HOME and its journal_mode"
        $health = Test-VppDatabase
        $health.DatabasePath | Should -Be (Join-Path $env:VPPPS_HOME 'vppps.db')
        $health.IsHealthy | Should -BeTrue
        $health.JournalMode | Should -Be 'wal'
        $health.SchemaVersion | Should -BeGreaterThan 0
    }

    It 'refuses, with a clear error, a database written by a newer VppPS' {
        Skip-OnPostgres "sets the SQLite file's user_version (PostgreSQL's schema_version check is in PostgresDatabaseTests)"
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

Describe 'Faults of the state database, as a user sees them' {
    BeforeAll {
        # Makes a SQLite file with the same Microsoft.Data.Sqlite the engine uses (loaded once a command ran).
        $scratch = New-TestHome
        $env:VPPPS_HOME = $scratch
        $null = Test-VppDatabase
        $script:Sqlite = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Microsoft.Data.Sqlite' }
        $script:Engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'VppPS.Engine' }
        $script:Scratch = $scratch
        $script:FailureScript = @'
Import-Module $env:VPPPS_TEST_MODULE
try { Get-VppConfiguration -ErrorAction Stop | Out-Null; 'no error' }
catch { 'id:' + $_.FullyQualifiedErrorId; 'category:' + $_.CategoryInfo.Category; 'message:' + $_.Exception.Message }
'@
        function Invoke-Sql([string] $Path, [string] $Sql) {
            $connection = $script:Sqlite.GetType('Microsoft.Data.Sqlite.SqliteConnection')::new("Data Source=$Path;Pooling=False")
            try { $connection.Open(); $command = $connection.CreateCommand(); $command.CommandText = $Sql; $null = $command.ExecuteNonQuery() }
            finally { $connection.Dispose() }
        }
        # A database made and closed by a child pwsh, so that this process holds nothing open on it.
        function New-ChildDatabase {
            $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script 'Import-Module $env:VPPPS_TEST_MODULE; Set-VppConfiguration -TokenCap 9 -Confirm:$false; "made"'
            $result.Output | Should -Match 'made'
            Join-Path $env:VPPPS_HOME 'vppps.db'
        }
    }
    BeforeEach { $env:VPPPS_HOME = New-TestHome }
    AfterEach { Remove-Item $env:VPPPS_HOME -Recurse -Force -ErrorAction Ignore }
    AfterAll { Remove-Item $script:Scratch -Recurse -Force -ErrorAction Ignore }

    It 'tells a database another VppPS is writing as busy, to try again' {
        Skip-OnPostgres "holds SQLite's one write lock (PostgreSQL has row locks and leases, see SharedStore.Tests.ps1)"
        $null = Test-VppDatabase
        $connection = $script:Engine.GetType('VppPS.Engine.VppSession')::Current().Store.OpenConnection()
        try {
            $transaction = $connection.BeginTransaction($false)   # BEGIN IMMEDIATE: the write lock, held
            $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_BUSY_TIMEOUT_MS = '200' } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
try { Set-VppConfiguration -TokenCap 9 -Confirm:$false -ErrorAction Stop; 'no error' }
catch { 'id:' + $_.FullyQualifiedErrorId; 'category:' + $_.CategoryInfo.Category; 'message:' + $_.Exception.Message }
'@
        }
        finally { $transaction.Dispose(); $connection.Dispose() }
        $result.Output | Should -Match 'id:VppStateBusy,'
        $result.Output | Should -Match 'category:ResourceBusy'
        $result.Output | Should -Match 'Another VppPS'
        $result.Output | Should -Match 'Try again'
    }

    It 'refuses a damaged database with what to do, never to throw it away' {
        Skip-OnPostgres "damages the SQLite file"
        $path = New-ChildDatabase
        $stream = [System.IO.File]::OpenWrite($path)
        try { $stream.Write([byte[]](@(0x42) * 100), 0, 100) } finally { $stream.Dispose() }   # the header
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script $script:FailureScript
        $result.Output | Should -Match 'id:VppStateDamaged,'
        $result.Output | Should -Match 'category:InvalidData'
        $result.Output | Should -Match 'Test-VppDatabase'
        $result.Output | Should -Match 'from a backup'
        $result.Output | Should -Not -Match 'aside|delete|discard'
    }

    It 'Test-VppDatabase reports a damaged database as data, not as an error' {
        Skip-OnPostgres "damages the SQLite file"
        $path = New-ChildDatabase
        $stream = [System.IO.File]::OpenWrite($path)
        try { $stream.Write([byte[]](@(0x42) * 100), 0, 100) } finally { $stream.Dispose() }
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
$health = Test-VppDatabase -ErrorAction Stop
'healthy:' + $health.IsHealthy
'problem:' + $health.Problem
'errors:' + $Error.Count
'@
        $result.Output | Should -Match 'healthy:False'
        $result.Output | Should -Match 'problem:.*is damaged'
        $result.Output | Should -Match 'errors:0'
        $result.Errors | Should -BeNullOrEmpty
    }

    It 'Test-VppDatabase tells a text file as not a SQLite database, not as damage' {
        Skip-OnPostgres "a text file in the data folder"
        $path = Join-Path $env:VPPPS_HOME 'vppps.db'
        Set-Content -Path $path -Value 'Riverside High School', 'notes about the iPads'
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
$health = Test-VppDatabase -ErrorAction Stop
'healthy:' + $health.IsHealthy
'problem:' + $health.Problem
try { Get-VppConfiguration -ErrorAction Stop | Out-Null; 'no error' }
catch { 'id:' + $_.FullyQualifiedErrorId; 'message:' + $_.Exception.Message }
'@
        $result.Output | Should -Match 'healthy:False'
        $result.Output | Should -Match 'problem:.*is not a SQLite database, so not a VppPS state database: it holds text'
        $result.Output | Should -Match 'id:VppStateNotADatabase,'
        $result.Output | Should -Not -Match 'damaged'
        $result.Output | Should -Not -MatchExactly 'SQLite Error'
        $result.Errors | Should -BeNullOrEmpty
    }

    It 'refuses a SQLite file of another program and leaves it unchanged' {
        Skip-OnPostgres "a SQLite file of another program in the data folder"
        $path = Join-Path $env:VPPPS_HOME 'vppps.db'
        Invoke-Sql $path "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (12.5);"
        $before = (Get-FileHash $path).Hash
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script $script:FailureScript
        $result.Output | Should -Match 'id:VppStateForeignDatabase,'
        $result.Output | Should -Match 'category:ResourceUnavailable'
        $result.Output | Should -Match 'invoices'
        $result.Output | Should -Match 'VPPPS_HOME'
        (Get-FileHash $path).Hash | Should -Be $before
        Test-Path "$path-wal" | Should -BeFalse
    }

    It 'keeps a new data folder and its files to the user' -Skip:$IsWindows {
        Skip-OnPostgres "the file permissions of the data folder and of its database file"
        $folder = Join-Path $env:VPPPS_HOME 'new'
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $folder } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
Set-VppConfiguration -TokenCap 9 -Confirm:$false
Export-VppLicenseReport -Path (Join-Path $env:VPPPS_HOME 'report.html') -WarningAction SilentlyContinue
'done'
'@
        $result.Output | Should -Match 'done'
        (Get-Item $folder).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        $files = Get-ChildItem $folder -File -Force
        $files.Name | Should -Contain 'vppps.db'
        $files.Name | Should -Contain 'report.html'
        foreach ($file in $files) { $file.UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') -Because $file.Name }
    }

    It 'tightens an installation other users can read, with a warning' -Skip:$IsWindows {
        Skip-OnPostgres "the file permissions of the data folder and of its database file"
        $path = New-ChildDatabase
        [System.IO.File]::SetUnixFileMode($env:VPPPS_HOME, [System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute, GroupRead, GroupExecute, OtherRead, OtherExecute')
        [System.IO.File]::SetUnixFileMode($path, [System.IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME } -Script @'
Import-Module $env:VPPPS_TEST_MODULE
Get-VppConfiguration -WarningVariable warned -WarningAction SilentlyContinue | Out-Null
'warnings:' + $warned.Count
'warning:' + $warned[0]
'@
        $result.Output | Should -Match 'warnings:1'
        $result.Output | Should -Match 'could be read by other users'
        (Get-Item $env:VPPPS_HOME).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        (Get-Item $path).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
    }
}
