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
}
AfterAll {
    Remove-Item Env:VPPPS_CRONTAB_COMMAND -ErrorAction Ignore
    Stop-TestChildren
}

Describe 'Register-VppSyncSchedule, Get-VppSyncSchedule, Unregister-VppSyncSchedule with cron' -Skip:$IsWindows {
    BeforeEach {
        $env:VPPPS_HOME = New-TestHome
        $script:Table = New-FakeCrontab $Unrelated
    }

    It 'adds one marked line running Sync-VppToken -All twice a day and keeps the other lines' {
        Register-VppSyncSchedule -Confirm:$false
        $lines = Get-Table $Table
        $lines[0..2] | Should -Be $Unrelated
        $lines | Should -HaveCount 4
        $entry = $lines[3]
        $entry | Should -Match '^\d{1,2} \*/12 \* \* \* '
        $entry | Should -BeLike "*Sync-VppToken -All' >> '*' 2>&1 $Marker"
        $entry | Should -BeLike "*Import-Module '\''$(Get-TestModulePath)'\''*"
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
        Register-VppSyncSchedule -Confirm:$false
        $entry = (Get-Table $Table)[3]
        $quoted = "'" + $env:VPPPS_HOME.Replace("'", "'\''").Replace('%', '\%') + "'"
        $entry | Should -Match ('^\d{1,2} \*/12 \* \* \* VPPPS_HOME=' + [regex]::Escape($quoted) + ' ')
    }

    It 'runs as cron would run it: imports the module and appends to the log in the data folder' {
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
}

Describe 'Without crontab' -Skip:$IsWindows {
    It 'Register fails with a clear error and Get finds nothing' {
        $env:VPPPS_HOME = New-TestHome
        $path = $env:PATH
        try {
            Remove-Item Env:VPPPS_CRONTAB_COMMAND -ErrorAction Ignore
            $env:PATH = (New-Item -ItemType Directory (Join-Path $TestDrive 'empty-path')).FullName
            { Register-VppSyncSchedule -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'VppCrontabNotFound,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage 'crontab was not found; install cron*VPPPS_CRONTAB_COMMAND*'
            Get-VppSyncSchedule -ErrorAction Stop | Should -BeNullOrEmpty
            Get-VppAuditLog | Should -BeNullOrEmpty
        }
        finally {
            $env:PATH = $path
            $env:VPPPS_CRONTAB_COMMAND = Join-Path $TestDrive 'no-such-crontab'
        }
    }

    It 'names VPPPS_CRONTAB_COMMAND when it points nowhere' {
        $env:VPPPS_HOME = New-TestHome
        $env:VPPPS_CRONTAB_COMMAND = Join-Path $TestDrive 'no-such-crontab'
        { Register-VppSyncSchedule -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'VppCrontabNotFound,VppPS.Sync.RegisterVppSyncScheduleCommand' -ExpectedMessage 'VPPPS_CRONTAB_COMMAND names*which was not found*'
    }
}
