# The scheduled sync against a fake crontab in TestDrive: these tests never touch the user's
# real crontab (VPPPS_CRONTAB_COMMAND always points at the fake, and the test of a missing
# crontab empties PATH).
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-TestModulePath) -Force
    $script:Marker = '# VppPS sync (managed by Register-VppSyncSchedule)'
    $script:Unrelated = @('MAILTO=""', '# nightly backup', '0 3 * * * /usr/bin/backup --all')

    # A crontab with the real one's interface: -l prints the table (exit 1, "no crontab for
    # user" when there is none), - reads a new table from stdin. The table is a file.
    function New-FakeCrontab {
        param([string[]] $Lines)
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $folder | Out-Null
        $script = Join-Path $folder 'crontab'
        Set-Content -Path $script -Value @'
#!/bin/sh
table="$(dirname "$0")/table"
case "$1" in
  -l) if [ -f "$table" ]; then cat "$table"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > "$table" ;;
  *) echo "usage: crontab -l | crontab -" >&2; exit 2 ;;
esac
'@
        & chmod +x $script
        if ($Lines) { Set-Content -Path (Join-Path $folder 'table') -Value $Lines }
        $env:VPPPS_CRONTAB_COMMAND = $script
        Join-Path $folder 'table'
    }

    function Get-Table { param([string] $Path) if (Test-Path $Path) { @(Get-Content $Path) } else { @() } }

    # A PowerShell installation as the schedule wants one (pwsh beside pwsh.dll and
    # System.Management.Automation.dll) whose pwsh runs the pwsh of these tests, first on PATH: under
    # the pwsh dotnet tool (dotnet pwsh.dll) the schedule refuses to run the tool and takes it.
    function New-FakePwshInstallation {
        param([string] $Folder)
        New-Item -ItemType Directory $Folder -Force | Out-Null
        $running = [Environment]::ProcessPath
        $words = @("'$running'")
        if ([System.IO.Path]::GetFileNameWithoutExtension($running) -eq 'dotnet') { $words += "'$(Join-Path $PSHOME 'pwsh.dll')'" }
        $pwsh = Join-Path $Folder 'pwsh'
        Set-Content -Path $pwsh -Value "#!/bin/sh`nexec $($words -join ' ') `"`$@`""
        & chmod +x $pwsh
        foreach ($file in 'pwsh.dll', 'System.Management.Automation.dll') {
            New-Item -ItemType SymbolicLink -Path (Join-Path $Folder $file) -Target (Join-Path $PSHOME $file) | Out-Null
        }
        $pwsh
    }
    $script:SavedPath = $env:PATH
    if (-not $IsWindows) {
        $script:FakePwsh = New-FakePwshInstallation (Join-Path $TestDrive 'PowerShell 7')
        $env:PATH = (Split-Path $FakePwsh) + [System.IO.Path]::PathSeparator + $env:PATH
        # The pwsh the entry runs: this one when it is an installation, else the fake one.
        $script:ScheduledPwsh = if ((Split-Path -Leaf ([Environment]::ProcessPath)) -eq 'pwsh' -and (Test-Path (Join-Path (Split-Path ([Environment]::ProcessPath)) 'pwsh.dll'))) { [Environment]::ProcessPath } else { $FakePwsh }
    }
}
AfterAll {
    $env:PATH = $SavedPath
    Remove-Item Env:VPPPS_CRONTAB_COMMAND -ErrorAction Ignore
    Stop-TestChildren
    Remove-TestHome
}

Describe 'Register-VppSyncSchedule, Get-VppSyncSchedule, Unregister-VppSyncSchedule with cron' -Skip:$IsWindows {
    BeforeEach {
        $env:VPPPS_HOME = New-TestHome
        $script:Table = New-FakeCrontab $Unrelated
    }

    It 'adds one marked line running Sync-VppToken -All twice a day and keeps the other lines' {
        Skip-OnPostgres 'the entry carries VPPPS_HOME, and logs in its data folder, only when VPPPS_HOME chose a SQLite store'
        Register-VppSyncSchedule -Confirm:$false
        $lines = Get-Table $Table
        $lines[0..2] | Should -Be $Unrelated
        $lines | Should -HaveCount 4
        $entry = $lines[3]
        $entry | Should -Match '^\d{1,2} \*/12 \* \* \* '
        $entry | Should -BeLike "*Sync-VppToken -All | Format-List -Property *' >> '*' 2>&1 $Marker"
        $entry | Should -BeLike "*Import-Module '\''$(Get-TestModulePath)'\''*"
        $entry | Should -Match ("^\d{1,2} \*/12 \* \* \* (VPPPS_HOME='[^']*' )?" + [regex]::Escape("'$ScheduledPwsh' -NoProfile -NonInteractive -Command"))
        $entry | Should -BeLike "*>> '$(Join-Path $env:VPPPS_HOME 'logs/sync.log')' 2>&1*"
        Test-Path (Join-Path $env:VPPPS_HOME 'logs') -PathType Container | Should -BeTrue
        if (-not $IsWindows) {
            # Made private before the scheduler first appends to it.
            (Get-Item (Join-Path $env:VPPPS_HOME 'logs')).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
            (Get-Item (Join-Path $env:VPPPS_HOME 'logs/sync.log')).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite')
        }
    }

    It 'replaces its line when registered again, never duplicating it' {
        Register-VppSyncSchedule -Confirm:$false
        Register-VppSyncSchedule -IntervalHours 6 -Confirm:$false
        $lines = Get-Table $Table
        @($lines | Where-Object { $_.EndsWith($Marker) }) | Should -HaveCount 1
        $lines | Should -HaveCount 4
        $lines[3] | Should -Match '^\d{1,2} \*/6 \* \* \* '
    }

    It 'keeps the same minute past the hour for this installation' {
        $first = Register-VppSyncSchedule -Confirm:$false -PassThru
        $second = Register-VppSyncSchedule -IntervalHours 4 -Confirm:$false -PassThru
        ($first.Schedule -split ' ')[0] | Should -Be ($second.Schedule -split ' ')[0]
    }

    It 'says with -Verbose that Test-VppToken still uses the SyncIntervalHours setting' {
        $verbose = Register-VppSyncSchedule -IntervalHours 6 -Confirm:$false -Verbose 4>&1
        ($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n" | Should -BeLike '*Test-VppToken*SyncIntervalHours setting (12)*'
        (Get-VppConfiguration).SyncIntervalHours | Should -Be 12
    }

    It 'with -WhatIf shows the exact line and writes nothing' {
        $before = Get-Content -Raw $Table
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_CRONTAB_COMMAND = $env:VPPPS_CRONTAB_COMMAND } -Script 'Import-Module $env:VPPPS_TEST_MODULE; Register-VppSyncSchedule -IntervalHours 6 -WhatIf'
        $result.Errors | Should -BeNullOrEmpty
        $result.Output | Should -Match 'What if: .*\d{1,2} \*/6 \* \* \* .*Sync-VppToken -All.*# VppPS sync \(managed by Register-VppSyncSchedule\)'
        Get-Content -Raw $Table | Should -Be $before
        Get-VppAuditLog | Should -BeNullOrEmpty
        Test-Path (Join-Path $env:VPPPS_HOME 'logs') | Should -BeFalse
    }

    It 'returns the registered schedule from Get-VppSyncSchedule' {
        $log = Join-Path $TestDrive 'elsewhere/sync log.txt'
        Register-VppSyncSchedule -IntervalHours 8 -LogPath $log -Confirm:$false
        $schedule = Get-VppSyncSchedule
        $schedule | Should -HaveCount 1
        $schedule.Platform | Should -Be 'Cron'
        $schedule.IntervalHours | Should -Be 8
        $schedule.Schedule | Should -Match '^\d{1,2} \*/8 \* \* \*$'
        $schedule.LogPath | Should -Be $log
        $schedule.Registered | Should -BeTrue
        $schedule.Command | Should -BeLike '*-NoProfile -NonInteractive -Command *Sync-VppToken -All*'
        $schedule.Entry | Should -Be (Get-Table $Table)[3]
        $schedule.PwshPath | Should -Be $ScheduledPwsh
        $schedule.Module | Should -Be (Get-TestModulePath)
        $schedule.IsValid | Should -BeTrue
        $schedule.Problem | Should -BeNullOrEmpty
    }

    It 'says when the module or the pwsh of the entry no longer exists (IsValid, Problem and a warning)' {
        Register-VppSyncSchedule -Confirm:$false
        $entry = (Get-Table $Table)[3]
        $moved = Join-Path $TestDrive 'moved clone/out/VppPS/VppPS.psd1'
        Set-Content -Path $Table -Value ($Unrelated + $entry.Replace((Get-TestModulePath), $moved))
        $schedule = Get-VppSyncSchedule -WarningVariable warnings -WarningAction SilentlyContinue
        $schedule.IsValid | Should -BeFalse
        $schedule.Problem | Should -BeLike "The module it imports ($moved) no longer exists*Register-VppSyncSchedule again*"
        $warnings | Should -HaveCount 1
        "$warnings" | Should -BeLike 'The scheduled sync cannot run: The module it imports*'

        $gone = Join-Path $TestDrive 'uninstalled/pwsh'
        Set-Content -Path $Table -Value ($Unrelated + $entry.Replace("'$ScheduledPwsh'", "'$gone'"))
        (Get-VppSyncSchedule -WarningAction SilentlyContinue).Problem | Should -BeLike "The pwsh it runs ($gone) no longer exists*-PwshPath*"
    }

    It 'imports VppPS by name when it was imported from where the scheduled pwsh looks for modules' {
        # A new user whose CurrentUser module folder (in HOME) holds this build, imported by name.
        $userHome = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))
        $version = (Import-PowerShellDataFile (Get-TestModulePath)).ModuleVersion
        $installed = New-Item -ItemType Directory (Join-Path $userHome ".local/share/powershell/Modules/VppPS/$version")
        Copy-Item (Join-Path (Split-Path (Get-TestModulePath)) '*') $installed -Recurse
        $result = Invoke-TestPwsh -Environment @{ HOME = $userHome.FullName; PSModulePath = $null; XDG_DATA_HOME = $null; VPPPS_HOME = $env:VPPPS_HOME; VPPPS_CRONTAB_COMMAND = $env:VPPPS_CRONTAB_COMMAND } `
            -Script 'Register-VppSyncSchedule -Confirm:$false; (Get-Module VppPS).ModuleBase; Get-VppSyncSchedule | ForEach-Object { $_.Module; $_.IsValid }'
        $result.Errors | Should -BeNullOrEmpty
        # On the PostgreSQL run Register warns that the scheduled sync does not see VPPPS_STORE.
        $lines = @($result.Output -split "`r?`n" | Where-Object { $_ -and -not ((Test-PostgresRun) -and $_ -like 'WARNING: This session uses PostgreSql *') })
        $lines[0] | Should -Be $installed.FullName
        $lines[1..2] | Should -Be 'VppPS', 'True'
        (Get-Table $Table)[3] | Should -BeLike "*Import-Module VppPS; Sync-VppToken -All | Format-List -Property *' >> *"
    }

    It 'refuses the pwsh dotnet tool and shims, saying to install PowerShell or pass -PwshPath' -Skip:((Split-Path -Leaf ([Environment]::ProcessPath)) -ne 'dotnet') {
        $before = Get-Content -Raw $Table
        $shims = New-Item -ItemType Directory (Join-Path $TestDrive 'dotnet-tools')
        Set-Content (Join-Path $shims 'pwsh') '#!/bin/sh'
        $path = $env:PATH
        try {
            # This pwsh's own folder (the tool's package) and a shim on PATH, nothing installed.
            $env:PATH = $PSHOME, $shims.FullName -join [System.IO.Path]::PathSeparator
            { Register-VppSyncSchedule -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'VppPwshNotFound,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage '*pwsh dotnet tool*Install PowerShell 7.4 or later*-PwshPath*'
        }
        finally { $env:PATH = $path }
        Get-Content -Raw $Table | Should -Be $before
        $wrapper = New-FakePwshInstallation (Join-Path $TestDrive 'chosen')
        $schedule = Register-VppSyncSchedule -PwshPath $wrapper -Confirm:$false -PassThru
        $schedule.PwshPath | Should -Be $wrapper
    }

    It 'returns nothing, and says so with -Verbose, when none is registered' {
        Get-VppSyncSchedule | Should -BeNullOrEmpty
        (Get-VppSyncSchedule -Verbose 4>&1).Message | Should -BeLike 'No VppPS sync schedule is registered*'
    }

    It 'removes only its own line with Unregister-VppSyncSchedule' {
        Register-VppSyncSchedule -Confirm:$false
        Unregister-VppSyncSchedule -Confirm:$false
        Get-Table $Table | Should -Be $Unrelated
        Get-VppSyncSchedule | Should -BeNullOrEmpty
    }

    It 'does nothing and reports no error when there is nothing to unregister' {
        $verbose = Unregister-VppSyncSchedule -Confirm:$false -Verbose -ErrorVariable problems 4>&1
        $problems | Should -BeNullOrEmpty
        $verbose.Message | Should -BeLike '*nothing to remove*'
        Get-Table $Table | Should -Be $Unrelated
        Get-VppAuditLog | Should -BeNullOrEmpty
    }

    It 'with -WhatIf shows the line it would remove and removes nothing' {
        Register-VppSyncSchedule -Confirm:$false
        $before = Get-Content -Raw $Table
        $result = Invoke-TestPwsh -Environment @{ VPPPS_HOME = $env:VPPPS_HOME; VPPPS_CRONTAB_COMMAND = $env:VPPPS_CRONTAB_COMMAND } -Script 'Import-Module $env:VPPPS_TEST_MODULE; Unregister-VppSyncSchedule -WhatIf'
        $result.Errors | Should -BeNullOrEmpty
        $result.Output | Should -Match 'What if: .*Remove the scheduled sync: \d{1,2} \*/12 \* \* \* .*# VppPS sync'
        Get-Content -Raw $Table | Should -Be $before
    }

    It 'journals Register and Unregister under schedule:sync' {
        Register-VppSyncSchedule -IntervalHours 6 -Confirm:$false
        Unregister-VppSyncSchedule -Confirm:$false
        $entries = Get-VppAuditLog -Target 'schedule:sync'
        $entries | Should -HaveCount 2
        $entries[0].Action | Should -Be 'Unregister'
        $entries[0].Command | Should -Be 'Unregister-VppSyncSchedule'
        $entries[1].Action | Should -Be 'Register'
        $entries[1].Summary | Should -Match '^Sync every 6 hours \(\d{1,2} \*/6 \* \* \*\), log .*sync\.log$'
    }

    It 'works with a crontab that does not exist yet' {
        $table = New-FakeCrontab @()
        Register-VppSyncSchedule -Confirm:$false
        Get-Table $table | Should -HaveCount 1
        Unregister-VppSyncSchedule -Confirm:$false
        Get-Table $table | Should -BeNullOrEmpty
    }

    It 'refuses IntervalHours <_> and says which intervals are allowed' -ForEach 0, 25, 7 {
        $before = Get-Content -Raw $Table
        { Register-VppSyncSchedule -IntervalHours $_ -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppBadSyncInterval,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage "IntervalHours $_ cannot be scheduled*1, 2, 3, 4, 6, 8, 12, 24 hours*"
        Get-Content -Raw $Table | Should -Be $before
    }

    It 'refuses a SyncIntervalHours setting that cron cannot follow, naming the setting' {
        Set-VppConfiguration -SyncIntervalHours 48 -Confirm:$false
        { Register-VppSyncSchedule -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppBadSyncInterval,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage '*48 (from the SyncIntervalHours setting)*'
    }

    It 'fits a 120-column console' {
        Register-VppSyncSchedule -Confirm:$false
        $lines = Get-VppSyncSchedule | Format-Table | Out-String -Width 120 -Stream
        ($lines | Where-Object { $_.Length -gt 120 }) | Should -BeNullOrEmpty
    }
}

Describe 'The scheduled command' -Skip:$IsWindows {
    BeforeEach {
        $script:Table = New-FakeCrontab $Unrelated
        # Spaces, a quote and a percent sign: sh quoting and cron's % rule both matter.
        $env:VPPPS_HOME = Join-Path (New-TestHome) "data folder it's 100%"
    }

    It 'carries VPPPS_HOME into the entry' {
        Skip-OnPostgres 'the entry carries VPPPS_HOME, and logs in its data folder, only when VPPPS_HOME chose a SQLite store'
        Register-VppSyncSchedule -Confirm:$false
        $entry = (Get-Table $Table)[3]
        $quoted = "'" + $env:VPPPS_HOME.Replace("'", "'\''").Replace('%', '\%') + "'"
        $entry | Should -Match ('^\d{1,2} \*/12 \* \* \* VPPPS_HOME=' + [regex]::Escape($quoted) + ' ')
    }

    It 'runs as cron would run it: imports the module and appends to the log in the data folder' {
        Skip-OnPostgres 'the entry carries VPPPS_HOME, and logs in its data folder, only when VPPPS_HOME chose a SQLite store'
        Register-VppSyncSchedule -Confirm:$false
        $entry = (Get-Table $Table)[3]
        # What cron hands to sh: the line after the five time fields, with \% turned into %.
        $command = (($entry -split ' ', 6)[5]).Replace('\%', '%')
        # env -i: an environment as bare as cron's, nothing of this test's inherited; a HOME of its
        # own, so that a lost VPPPS_HOME would show as a data folder there (never the real one).
        $home_ = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))
        & /usr/bin/env -i "HOME=$home_" 'PATH=/usr/bin:/bin' /bin/sh -c $command
        Test-Path (Join-Path $home_ '.local/share/VppPS') | Should -BeFalse
        $log = Join-Path $env:VPPPS_HOME 'logs/sync.log'
        Test-Path -LiteralPath $log | Should -BeTrue -Because 'the command appends to the log in the data folder it set'
        $text = Get-Content -Raw -LiteralPath $log
        $text | Should -BeLike '== VppPS sync *'
        $text | Should -Not -BeLike '*Import-Module*'
        $text | Should -Not -Match "`e\["
        (Get-VppSyncSchedule).LogPath | Should -Be $log
    }

    It 'writes each sync run to the log as a list of every field, Error included' {
        Skip-OnPostgres 'the entry carries VPPPS_HOME, and logs in its data folder, only when VPPPS_HOME chose a SQLite store'
        $sim = Start-VppSimulator -NoServiceUrl
        try {
            Set-VppConfiguration -ServiceUrl $sim.ServiceUrl -MetadataServiceUrl "$($sim.Url)/v1" -StatusPollIntervalSeconds 0 -Confirm:$false
            $sim.TokenFiles[0] | Add-VppToken -AppleId 'vpp-admin@riversideusd.example' -AccountType Education | Out-Null
            Register-VppSyncSchedule -Confirm:$false
            $command = (((Get-Table $Table)[3] -split ' ', 6)[5]).Replace('\%', '%')
            $home_ = New-Item -ItemType Directory (Join-Path $TestDrive ([guid]::NewGuid().ToString('N')))
            & /usr/bin/env -i "HOME=$home_" 'PATH=/usr/bin:/bin' /bin/sh -c $command
        }
        finally { $sim | Stop-VppSimulator }
        $text = Get-Content -Raw -LiteralPath (Join-Path $env:VPPPS_HOME 'logs/sync.log')
        $text | Should -Match '(?m)^TokenName\s+: \S'
        $text | Should -Match '(?m)^Status\s+: completed'
        $text | Should -Match '(?m)^Error\s+:'
        $text | Should -Match '(?m)^AssignmentCount\s+: \d+'
    }
}

Describe 'Without crontab' -Skip:$IsWindows {
    It 'Register fails with a clear error and Get finds nothing' {
        $env:VPPPS_HOME = New-TestHome
        $path = $env:PATH
        try {
            Remove-Item Env:VPPPS_CRONTAB_COMMAND -ErrorAction Ignore
            $env:PATH = (New-Item -ItemType Directory (Join-Path $TestDrive 'empty-path')).FullName
            { Register-VppSyncSchedule -PwshPath $ScheduledPwsh -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'VppCrontabNotFound,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage 'crontab was not found; install cron*VPPPS_CRONTAB_COMMAND*'
            Get-VppSyncSchedule -ErrorAction Stop | Should -BeNullOrEmpty
            Get-VppAuditLog | Should -BeNullOrEmpty
        }
        finally {
            $env:PATH = $path
            $env:VPPPS_CRONTAB_COMMAND = Join-Path $TestDrive 'no-such-crontab'
        }
    }

    It 'fails at once, saying to use the platform''s scheduler, where crontab cannot be started' {
        $env:VPPPS_HOME = New-TestHome
        # A crontab that exists but cannot be executed: what a sandbox that forbids processes looks like.
        $blocked = Join-Path $TestDrive 'blocked-crontab'
        Set-Content -Path $blocked -Value '#!/bin/sh'
        & chmod 0600 $blocked
        $env:VPPPS_CRONTAB_COMMAND = $blocked
        { Register-VppSyncSchedule -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppSchedulerNotStarted,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage "*$blocked could not be started*platform's own scheduler*"
        Get-VppAuditLog | Should -BeNullOrEmpty
    }

    It 'names VPPPS_CRONTAB_COMMAND when it points nowhere' {
        $env:VPPPS_HOME = New-TestHome
        $env:VPPPS_CRONTAB_COMMAND = Join-Path $TestDrive 'no-such-crontab'
        { Register-VppSyncSchedule -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppCrontabNotFound,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage 'VPPPS_CRONTAB_COMMAND names*which was not found*'
    }
}
